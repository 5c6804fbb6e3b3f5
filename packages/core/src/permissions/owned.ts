// Permissions of values owned by a group (cojson 0.20): each transaction is judged against the owner
// group as it was at the transaction's own `madeAt`; deletion is checked at ingest.

import type { DecodedTransaction } from "../covalues/decoded-transaction.js";
import type { CoValueHeader } from "../covalues/header.js";
import type { JsonObject, JsonValue } from "../encoding/canonical-json.js";
import type { CoId } from "../ids/co-id.js";
import { isDeleteSessionId, type SessionId, sessionOwner } from "../ids/session-id.js";
import type { Transaction } from "../log/transaction.js";
import { type GroupLookup, type GroupState, roleOf } from "./group-state.js";
import { canWriteOwned, type Role } from "./roles.js";

/** What the evaluator needs of one transaction of an ownedByGroup value. */
export type OwnedTransaction = Pick<DecodedTransaction, "author" | "madeAt" | "privacy" | "meta">;

export type OwnedVerdict =
  | {
      readonly valid: true;
      /**
       * Set when the author is only a reader and the transaction is a branch pointer: it is valid
       * but counts as `changes: []` with this meta and nothing else (cojson strips the rest).
       */
      readonly branchPointerOnly?: { readonly branch: JsonValue; readonly ownerId: JsonValue };
    }
  | { readonly valid: false; readonly reason: string };

/**
 * Is `tx` of a value owned by `owner` valid? The author's role is read from the owner as of
 * `tx.madeAt` (`roleOf` at that time, so parents and `everyone` count): admin, manager, writer
 * and writeOnly may write; a reader may only write a (trusting) branch pointer. When the owner
 * is an account, the account's own transactions are judged as its agent's. The key a private
 * transaction used is not checked (cojson does not either: it only limits who can decrypt).
 */
export function checkOwnedTransaction(owner: GroupState, tx: OwnedTransaction, lookup: GroupLookup): OwnedVerdict {
  return verdictForRole(roleOf(owner, transactorOf(owner, tx), lookup, tx.madeAt), tx);
}

function transactorOf(owner: GroupState, tx: OwnedTransaction): string {
  return owner.isAccount && tx.author === owner.id ? owner.initialAdmin : tx.author;
}

function verdictForRole(role: Role | undefined, tx: OwnedTransaction): OwnedVerdict {
  if (role === undefined) return { valid: false, reason: "transactor not found in group" };
  const meta = tx.privacy === "trusting" ? tx.meta : undefined;
  if (role === "reader" && meta?.branch && meta.ownerId) {
    return { valid: true, branchPointerOnly: { branch: meta.branch, ownerId: meta.ownerId } };
  }
  if (!canWriteOwned(role)) return { valid: false, reason: `transactor has no write permissions (role ${role})` };
  return VALID;
}

const VALID: OwnedVerdict = { valid: true };

/**
 * `checkOwnedTransaction` for many transactions against one owner state, computing each
 * author's role once per stretch of time in which the owner (and its parents) did not change:
 * a role at time t depends only on entries made at or before t, so it is the same for every
 * `madeAt` between two consecutive entry times. Reading a long value costs one role lookup per
 * author instead of one per transaction.
 */
export function ownedTransactionChecker(owner: GroupState, lookup: GroupLookup): (tx: OwnedTransaction) => OwnedVerdict {
  const changeTimes = entryTimes(owner, lookup);
  const roles = new Map<string, Map<number, Role | undefined>>();
  return (tx) => {
    const transactor = transactorOf(owner, tx);
    const stretch = countAtOrBefore(changeTimes, tx.madeAt);
    let byStretch = roles.get(transactor);
    if (byStretch === undefined) {
      byStretch = new Map();
      roles.set(transactor, byStretch);
    }
    let role = byStretch.get(stretch);
    if (role === undefined && !byStretch.has(stretch)) {
      role = roleOf(owner, transactor, lookup, tx.madeAt);
      byStretch.set(stretch, role);
    }
    return verdictForRole(role, tx);
  };
}

// Group states are immutable and replaced whenever any group changes, so the times of one state
// (its parents' included) never change: reads that build a checker per new transaction reuse them.
const entryTimesOf = new WeakMap<GroupState, readonly number[]>();

/** Sorted `madeAt` of every valid entry of `state` and of every group it may inherit from. */
function entryTimes(state: GroupState, lookup: GroupLookup): readonly number[] {
  let times = entryTimesOf.get(state);
  if (times === undefined) {
    times = collectEntryTimes(state, lookup);
    entryTimesOf.set(state, times);
  }
  return times;
}

function collectEntryTimes(state: GroupState, lookup: GroupLookup): number[] {
  const times: number[] = [];
  const seen = new Set<CoId>();
  const visit = (group: GroupState): void => {
    if (seen.has(group.id)) return;
    seen.add(group.id);
    for (const entries of group.entries.values()) for (const entry of entries) times.push(entry.madeAt);
    for (const parentId of group.parentIds) {
      const parent = lookup.group(parentId);
      if (parent !== undefined) visit(parent);
    }
  };
  visit(state);
  return times.sort((a, b) => a - b);
}

/** How many of the sorted `times` are ≤ `time` (binary search). */
function countAtOrBefore(times: readonly number[], time: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((times[mid] as number) <= time) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** `checkOwnedTransaction` for each transaction, in the order given. */
export function checkOwnedTransactions(
  owner: GroupState,
  transactions: readonly OwnedTransaction[],
  lookup: GroupLookup,
): OwnedVerdict[] {
  return transactions.map((tx) => checkOwnedTransaction(owner, tx, lookup));
}

/** Outcome of checking a received piece of a session for deletion (cojson `#isDeleteTransaction`). */
export type DeleteCheck =
  /** Not a deletion: verify and store as usual (a `$` session without a delete marker is ordinary). */
  | { readonly type: "NotDelete" }
  /** A valid deletion: store it, then mark the value deleted. */
  | { readonly type: "Delete" }
  /** Refuse the whole piece. */
  | {
      readonly type: "Rejected";
      readonly reason: "InvalidDeleteTransaction" | "CoValueNotDeletable" | "CannotVerifyPermissions" | "NotAdmin";
      readonly message: string;
    };

export interface DeleteCheckInput {
  readonly coId: CoId;
  readonly header: CoValueHeader;
  readonly sessionId: SessionId;
  /** How many transactions of this session are already held. */
  readonly alreadyHeld: number;
  readonly newTransactions: readonly Transaction[];
  /** The owner group's state, for ownedByGroup values (undefined if not loaded). */
  readonly owner: GroupState | undefined;
}

/** The delete marker of a transaction: trusting, with a meta whose `deleted` is a string. */
export function deleteMarkerOf(tx: Transaction): { readonly deleted: string } | undefined {
  if (tx.privacy !== "trusting" || !tx.meta) return undefined;
  let meta: unknown;
  try {
    meta = JSON.parse(tx.meta);
  } catch {
    return undefined;
  }
  if (meta === null || typeof meta !== "object") return undefined;
  const deleted = (meta as JsonObject).deleted;
  return typeof deleted === "string" ? { deleted } : undefined;
}

/**
 * Checks a received piece of a session before it is stored, as cojson does at ingest: a delete
 * session (`…$`) holds exactly one transaction; groups and accounts can't be deleted (any piece
 * of a delete session is refused); a delete marker must name this value and its author must be
 * admin of the owner group as of the marker's `madeAt`.
 */
export function checkDeleteSession(input: DeleteCheckInput, lookup: GroupLookup): DeleteCheck {
  if (!isDeleteSessionId(input.sessionId)) return { type: "NotDelete" };
  if (input.alreadyHeld > 0 || input.newTransactions.length > 1) {
    return { type: "Rejected", reason: "InvalidDeleteTransaction", message: "a delete transaction must be alone in its session" };
  }
  const first = input.newTransactions[0];
  const marker = first === undefined ? undefined : deleteMarkerOf(first);
  if (marker !== undefined && marker.deleted !== input.coId) {
    return {
      type: "Rejected",
      reason: "InvalidDeleteTransaction",
      message: `delete marker names ${marker.deleted}, not ${input.coId}`,
    };
  }
  const ruleset = input.header.ruleset;
  if (ruleset.type === "group") {
    return { type: "Rejected", reason: "CoValueNotDeletable", message: "groups and accounts can't be deleted" };
  }
  if (marker === undefined || first === undefined) return { type: "NotDelete" };
  if (ruleset.type !== "ownedByGroup") {
    return { type: "Rejected", reason: "CannotVerifyPermissions", message: "only values owned by a group can be deleted" };
  }
  if (input.owner === undefined) {
    return { type: "Rejected", reason: "CannotVerifyPermissions", message: `owner group ${ruleset.group} is not loaded` };
  }
  const author = sessionOwner(input.sessionId);
  if (roleOf(input.owner, author, lookup, first.madeAt) !== "admin") {
    return { type: "Rejected", reason: "NotAdmin", message: `${author} is not an admin of ${input.owner.id}` };
  }
  return { type: "Delete" };
}
