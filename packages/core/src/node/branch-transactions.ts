import type { DecodedTransaction } from "../covalues/decoded-transaction.js";
import type { CoValueHeader } from "../covalues/header.js";
import type { CoId } from "../ids/co-id.js";

/**
 * The value a branch was made from (cojson `verifiedState.branchSourceId`): any value whose header
 * meta names a `source` counts as a branch of it, as in cojson.
 */
export function branchSourceOf(header: CoValueHeader): CoId | undefined {
  const source = header.meta?.source;
  return typeof source === "string" && source.startsWith("co_z") ? (source as CoId) : undefined;
}

interface Composed {
  readonly own: readonly DecodedTransaction[];
  ownLength: number;
  readonly source: readonly DecodedTransaction[] | undefined;
  sourceLength: number;
  /** Per session, the count of source transactions the branch starts from (union of `from` metas). */
  readonly start: Map<string, number>;
  readonly list: DecodedTransaction[];
}

/**
 * What a branch reads (cojson `getValidTransactions` of a branched core): its own transactions
 * plus its source's, up to where the branch started. The start is the union of the `from` known
 * states in the branch's own transactions (cojson's `branchStart`), and reproduces cojson's
 * filter exactly: a source transaction is in when its index is at most the start's count for its
 * session — one past the last transaction known at branching, in practice the branch pointer
 * written right after — and every transaction of a session the start does not name is in.
 *
 * Like the decoded lists it combines, the result only grows while its parts only grow, so views
 * apply just the tail; a new array when a part was rebuilt or the start moved.
 */
export class BranchTransactions {
  readonly #composed = new Map<CoId, Composed>();

  compose(branchId: CoId, own: readonly DecodedTransaction[], source: readonly DecodedTransaction[] | undefined): DecodedTransaction[] {
    let composed = this.#composed.get(branchId);
    if (composed === undefined || composed.own !== own || composed.source !== source || startMoves(composed.start, own, composed.ownLength)) {
      composed = { own, ownLength: 0, source, sourceLength: 0, start: new Map(), list: [] };
      this.#composed.set(branchId, composed);
    }
    for (let index = composed.ownLength; index < own.length; index++) {
      const tx = own[index] as DecodedTransaction;
      extendStart(composed.start, tx);
      composed.list.push(tx);
    }
    composed.ownLength = own.length;
    if (source !== undefined) {
      for (let index = composed.sourceLength; index < source.length; index++) {
        const tx = source[index] as DecodedTransaction;
        if (tx.txId.txIndex <= (composed.start.get(tx.txId.sessionID) ?? Number.POSITIVE_INFINITY)) composed.list.push(tx);
      }
      composed.sourceLength = source.length;
    }
    return composed.list;
  }
}

/** True if own transactions added since `from` would move the start: the list must be rebuilt. */
function startMoves(start: ReadonlyMap<string, number>, own: readonly DecodedTransaction[], from: number): boolean {
  for (let index = from; index < own.length; index++) {
    const branchFrom = fromOf(own[index] as DecodedTransaction);
    if (branchFrom === undefined) continue;
    for (const [session, count] of Object.entries(branchFrom)) {
      if (typeof count === "number" && count > (start.get(session) ?? Number.NEGATIVE_INFINITY)) return true;
    }
  }
  return false;
}

function extendStart(start: Map<string, number>, tx: DecodedTransaction): void {
  const branchFrom = fromOf(tx);
  if (branchFrom === undefined) return;
  for (const [session, count] of Object.entries(branchFrom)) {
    if (typeof count === "number") start.set(session, Math.max(count, start.get(session) ?? count));
  }
}

function fromOf(tx: DecodedTransaction): Record<string, unknown> | undefined {
  const from = tx.meta?.from;
  return from !== null && typeof from === "object" && !Array.isArray(from) ? (from as Record<string, unknown>) : undefined;
}
