// Values owned by a group: each transaction judged against the group as of its madeAt, and
// deletion checked at ingest.
import { describe, expect, test } from "vitest";
import type { DecodedTransaction } from "../covalues/decoded-transaction.js";
import type { CoValueHeader } from "../covalues/header.js";
import type { JsonObject } from "../encoding/canonical-json.js";
import type { AgentId } from "../ids/agent-id.js";
import type { CoId } from "../ids/co-id.js";
import type { SessionId, SessionOwner } from "../ids/session-id.js";
import { makeTrustingTransaction } from "../log/make-transaction.js";
import type { Transaction } from "../log/transaction.js";
import { evaluateGroup } from "./evaluate.js";
import type { GroupLookup, GroupState } from "./group-state.js";
import { checkDeleteSession, checkOwnedTransaction, type OwnedTransaction, ownedTransactionChecker } from "./owned.js";

const alice = "co_zAlice" as CoId;
const bob = "co_zBob" as CoId;
const carol = "co_zCarol" as CoId;
const dave = "co_zDave" as CoId;
const groupId = "co_zGroup" as CoId;
const mapId = "co_zMap" as CoId;

function group(steps: ReadonlyArray<readonly [SessionOwner, number, string, string]>, id = groupId, initialAdmin: CoId | AgentId = alice, meta: JsonObject | null = null): GroupState {
  const counts = new Map<string, number>();
  const transactions = steps.map(([author, madeAt, key, value]): DecodedTransaction => {
    const sessionID = `${author}_session_zTest` as SessionId;
    const txIndex = counts.get(sessionID) ?? 0;
    counts.set(sessionID, txIndex + 1);
    return { txId: { sessionID, txIndex }, author, madeAt, changes: [{ op: "set", key, value }], privacy: "trusting" };
  });
  return evaluateGroup({ id, header: { type: "comap", ruleset: { type: "group", initialAdmin }, meta, uniqueness: null }, transactions }, noGroups);
}

const noGroups: GroupLookup = { group: () => undefined };

const owner = group([
  [alice, 1, alice, "admin"],
  [alice, 10, bob, "writer"],
  [alice, 10, carol, "reader"],
  [alice, 10, dave, "writeOnly"],
  [alice, 20, bob, "revoked"],
]);

const write = (author: SessionOwner, madeAt: number, meta?: JsonObject, privacy: "trusting" | "private" = "trusting"): OwnedTransaction =>
  meta === undefined ? { author, madeAt, privacy } : { author, madeAt, privacy, meta };

describe("writes to owned values", () => {
  test("checkOwnedTransaction: a member removed later keeps its earlier writes; writes dated after the removal are invalid", () => {
    expect(checkOwnedTransaction(owner, write(bob, 5), noGroups).valid).toBe(false);
    expect(checkOwnedTransaction(owner, write(bob, 15), noGroups).valid).toBe(true);
    expect(checkOwnedTransaction(owner, write(bob, 20), noGroups).valid).toBe(false);
    expect(checkOwnedTransaction(owner, write(bob, 25), noGroups).valid).toBe(false);
  });

  test("checkOwnedTransaction: admins, writers and writeOnly members write; readers and strangers don't", () => {
    expect(checkOwnedTransaction(owner, write(alice, 12), noGroups).valid).toBe(true);
    expect(checkOwnedTransaction(owner, write(dave, 12), noGroups).valid).toBe(true);
    expect(checkOwnedTransaction(owner, write(carol, 12), noGroups).valid).toBe(false);
    expect(checkOwnedTransaction(owner, write("co_zEve" as CoId, 12), noGroups).valid).toBe(false);
  });

  test("checkOwnedTransaction: a reader may write a trusting branch pointer, reduced to the pointer", () => {
    const pointer = { branch: "draft", ownerId: "co_zOther", extra: 1 };
    expect(checkOwnedTransaction(owner, write(carol, 12, pointer), noGroups)).toEqual({
      valid: true,
      branchPointerOnly: { branch: "draft", ownerId: "co_zOther" },
    });
    expect(checkOwnedTransaction(owner, write(carol, 12, { branch: "draft" }), noGroups).valid).toBe(false);
    expect(checkOwnedTransaction(owner, write(carol, 12, pointer, "private"), noGroups).valid).toBe(false);
    expect(checkOwnedTransaction(owner, write(carol, 5, pointer), noGroups).valid).toBe(false);
  });

  test("checkOwnedTransaction: everyone's role lets any account write to owned values, not to the group", () => {
    const open = group([
      [alice, 1, alice, "admin"],
      [alice, 2, "everyone", "writer"],
      ["co_zEve" as CoId, 3, "co_zFrank", "reader"],
    ]);
    expect(checkOwnedTransaction(open, write("co_zEve" as CoId, 3), noGroups).valid).toBe(true);
    expect(open.verdicts[2]?.valid).toBe(false);
  });

  test("checkOwnedTransaction: in a value owned by an account, the account's own transactions are its agent's", () => {
    const agent = "sealer_zA/signer_zA" as AgentId;
    const account = group([[agent, 1, agent, "admin"]], "co_zAccount" as CoId, agent, { type: "account" });
    expect(checkOwnedTransaction(account, write("co_zAccount" as CoId, 2), noGroups).valid).toBe(true);
    expect(checkOwnedTransaction(account, write(bob, 2), noGroups).valid).toBe(false);
  });
});

describe("deletion", () => {
  const header: CoValueHeader = { type: "comap", ruleset: { type: "ownedByGroup", group: groupId }, meta: null, uniqueness: "z1" };
  const deleteSession = (author: SessionOwner) => `${author}_session_dTest$` as SessionId;
  const marker = (madeAt: number, id = mapId): Transaction => makeTrustingTransaction([], madeAt, { deleted: id });
  const check = (overrides: Partial<Parameters<typeof checkDeleteSession>[0]>) =>
    checkDeleteSession(
      { coId: mapId, header, sessionId: deleteSession(alice), alreadyHeld: 0, newTransactions: [marker(30)], owner, ...overrides },
      noGroups,
    );

  test("checkDeleteSession: only an admin of the owner group, as of the marker's madeAt, may delete", () => {
    expect(check({})).toEqual({ type: "Delete" });
    expect(check({ sessionId: deleteSession(bob), newTransactions: [marker(15)] })).toMatchObject({ type: "Rejected", reason: "NotAdmin" });
    expect(check({ newTransactions: [marker(0)] })).toMatchObject({ type: "Rejected", reason: "NotAdmin" });
  });

  test("checkDeleteSession: a delete session holds one transaction naming this value", () => {
    expect(check({ newTransactions: [marker(30), marker(31)] })).toMatchObject({ reason: "InvalidDeleteTransaction" });
    expect(check({ alreadyHeld: 1 })).toMatchObject({ reason: "InvalidDeleteTransaction" });
    expect(check({ newTransactions: [marker(30, "co_zOther" as CoId)] })).toMatchObject({ reason: "InvalidDeleteTransaction" });
  });

  test("checkDeleteSession: groups can't be deleted, unowned values can't be checked, unmarked $ sessions are ordinary", () => {
    const groupHeader: CoValueHeader = { type: "comap", ruleset: { type: "group", initialAdmin: alice }, meta: null, uniqueness: "z1" };
    expect(check({ header: groupHeader })).toMatchObject({ reason: "CoValueNotDeletable" });
    expect(check({ header: groupHeader, newTransactions: [makeTrustingTransaction([], 30)] })).toMatchObject({ reason: "CoValueNotDeletable" });
    expect(check({ header: { ...header, ruleset: { type: "unsafeAllowAll" } } })).toMatchObject({ reason: "CannotVerifyPermissions" });
    expect(check({ owner: undefined })).toMatchObject({ reason: "CannotVerifyPermissions" });
    expect(check({ newTransactions: [makeTrustingTransaction([], 30, { other: 1 })] })).toEqual({ type: "NotDelete" });
    expect(check({ sessionId: `${alice}_session_zTest` as SessionId })).toEqual({ type: "NotDelete" });
  });
});

describe("ownedTransactionChecker", () => {
  test("reuses a state's entry times: building it again does not walk the parents again", () => {
    const parent = group([[alice, 1, alice, "admin"]], "co_zParent" as CoId);
    // A state naming the parent as inherited (built by hand: evaluation needs the parent loaded).
    const child: GroupState = { ...owner, parentIds: [parent.id] };
    let lookups = 0;
    const lookup: GroupLookup = {
      group: (id) => {
        lookups++;
        return id === parent.id ? parent : undefined;
      },
    };
    const tx = write(bob, 5);
    ownedTransactionChecker(child, lookup)(tx);
    const afterFirst = lookups;
    expect(afterFirst).toBeGreaterThan(0);
    // A second checker for the same state: only the role lookup for the transaction, no walk.
    ownedTransactionChecker(child, lookup)(tx);
    expect(lookups - afterFirst).toBeLessThan(afterFirst);
  });
});
