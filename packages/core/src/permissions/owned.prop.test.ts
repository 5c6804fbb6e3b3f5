// ownedTransactionChecker caches roles per stretch of time between group changes; it must give
// exactly checkOwnedTransaction's verdict for any group history, parents included, in any order.
import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import type { DecodedTransaction } from "../covalues/decoded-transaction.js";
import type { CoId } from "../ids/co-id.js";
import type { SessionId, SessionOwner } from "../ids/session-id.js";
import { evaluateGroup } from "./evaluate.js";
import type { GroupLookup, GroupState } from "./group-state.js";
import { checkOwnedTransaction, type OwnedTransaction, ownedTransactionChecker } from "./owned.js";

const admin = "co_zAdmin" as CoId;
const members = ["co_zBob", "co_zCarol", "co_zDave"] as CoId[];
const roles = ["reader", "writer", "writeOnly", "manager", "admin", "revoked"];
const parentId = "co_zParent" as CoId;
const childId = "co_zChild" as CoId;

type Step = readonly [number, string, string];

function groupOf(id: CoId, steps: readonly Step[], lookup: GroupLookup): GroupState {
  const sessionID = `${admin}_session_zTest` as SessionId;
  const transactions = [[1, admin, "admin"] as Step, ...steps].map(
    ([madeAt, key, value], txIndex): DecodedTransaction => ({
      txId: { sessionID, txIndex },
      author: admin,
      madeAt,
      changes: [{ op: "set", key, value }],
      privacy: "trusting",
    }),
  );
  const header = { type: "comap" as const, ruleset: { type: "group" as const, initialAdmin: admin }, meta: null, uniqueness: null };
  return evaluateGroup({ id, header, transactions }, lookup);
}

const time = fc.integer({ min: 2, max: 60 });
const memberStep = fc.tuple(time, fc.constantFrom(...members, "everyone"), fc.constantFrom(...roles));
const parentStep = fc.tuple(time, fc.constant(`parent_${parentId}`), fc.constantFrom("extend", "reader", "writer", "revoked"));
const write = fc.record({
  author: fc.constantFrom<SessionOwner>(admin, ...members, "co_zStranger" as CoId),
  madeAt: fc.integer({ min: 0, max: 70 }),
  privacy: fc.constantFrom<"trusting" | "private">("trusting", "private"),
  meta: fc.option(fc.constant({ branch: "b", ownerId: "co_zOwner" }), { nil: undefined }),
});

test.prop([fc.array(memberStep, { maxLength: 8 }), fc.array(fc.oneof(memberStep, parentStep), { maxLength: 8 }), fc.array(write, { maxLength: 40 })], {
  numRuns: 300,
})("ownedTransactionChecker gives checkOwnedTransaction's verdict for every transaction", (parentSteps, childSteps, writes) => {
  const groups = new Map<CoId, GroupState>();
  const lookup: GroupLookup = { group: (id) => groups.get(id) };
  groups.set(parentId, groupOf(parentId, parentSteps, lookup));
  const child = groupOf(childId, childSteps, lookup);
  const check = ownedTransactionChecker(child, lookup);
  for (const tx of writes as OwnedTransaction[]) {
    expect(check(tx)).toEqual(checkOwnedTransaction(child, tx, lookup));
  }
});
