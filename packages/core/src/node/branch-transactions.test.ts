import { expect, test } from "vitest";
import type { DecodedTransaction } from "../covalues/decoded-transaction.js";
import type { JsonObject } from "../encoding/canonical-json.js";
import type { CoId } from "../ids/co-id.js";
import type { SessionId, SessionOwner } from "../ids/session-id.js";
import { BranchTransactions, branchSourceOf } from "./branch-transactions.js";

const s1 = "co_zA_session_zOne" as SessionId;
const s2 = "co_zB_session_zTwo" as SessionId;
const branchId = "co_zBranch" as CoId;
const none: DecodedTransaction[] = [];

function tx(sessionID: SessionId, txIndex: number, meta?: JsonObject, branch?: string): DecodedTransaction {
  const txId = branch === undefined ? { sessionID, txIndex } : { sessionID, txIndex, branch };
  const base = { txId, author: sessionID.split("_session_")[0] as SessionOwner, madeAt: txIndex, changes: [], privacy: "private" as const };
  return meta === undefined ? base : { ...base, meta };
}

const ids = (list: readonly DecodedTransaction[]) => list.map((one) => `${one.txId.branch === undefined ? "" : "branch:"}${one.txId.sessionID.slice(4, 5)}${one.txId.txIndex}`);

test("branchSourceOf: a header meta naming a co_z source makes a branch, as in cojson", () => {
  const header = { type: "comap" as const, ruleset: { type: "unsafeAllowAll" as const }, uniqueness: "" };
  expect(branchSourceOf({ ...header, meta: { branch: "draft", source: "co_zSource" } })).toBe("co_zSource");
  expect(branchSourceOf({ ...header, meta: { source: 42 } })).toBeUndefined();
  expect(branchSourceOf({ ...header, meta: null })).toBeUndefined();
});

test("a branch reads the source up to its start (index ≤ count, unnamed sessions whole), plus its own", () => {
  const source = [tx(s1, 0), tx(s1, 1), tx(s1, 2), tx(s2, 0), tx(s2, 5)];
  const own = [tx(s1, 0, { from: { [s1]: 1 } }, branchId)];
  const composer = new BranchTransactions();
  // s1: indexes 0 and 1 (count 1, cojson's ≤); s2 is not in the start: all of it.
  expect(ids(composer.compose(branchId, own, { own: source, inherited: none }))).toEqual(["branch:A0", "A0", "A1", "B0", "B5"]);
});

test("growth appends to the same array; a new start or a rebuilt part gives a new one", () => {
  const composer = new BranchTransactions();
  const own = [tx(s1, 0, { from: { [s1]: 0 } }, branchId)];
  const source = [tx(s1, 0)];
  const first = composer.compose(branchId, own, { own: source, inherited: none });
  expect(ids(first)).toEqual(["branch:A0", "A0"]);
  own.push(tx(s1, 1, undefined, branchId));
  source.push(tx(s1, 1), tx(s2, 0));
  const grown = composer.compose(branchId, own, { own: source, inherited: none });
  expect(grown).toBe(first);
  // In arrival order (materialisers sort): A1 of the source is past the start (count 0 → index ≤ 0).
  expect(ids(grown)).toEqual(["branch:A0", "A0", "branch:A1", "B0"]);
  // A later `from` moves the start: everything is composed again.
  own.push(tx(s1, 2, { from: { [s1]: 1 } }, branchId));
  const moved = composer.compose(branchId, own, { own: source, inherited: none });
  expect(moved).not.toBe(first);
  expect(ids(moved).sort()).toEqual(["A0", "A1", "B0", "branch:A0", "branch:A1", "branch:A2"]);
  // No source loaded: only the branch's own.
  expect(ids(new BranchTransactions().compose(branchId, own, undefined))).toEqual(["branch:A0", "branch:A1", "branch:A2"]);
});
