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

/** What a branch takes from its source: the source's own transactions, and what the source inherited. */
export interface BranchSourceParts {
  readonly own: readonly DecodedTransaction[];
  readonly inherited: readonly DecodedTransaction[];
}

interface Composed {
  readonly own: readonly DecodedTransaction[];
  ownLength: number;
  readonly source: BranchSourceParts | undefined;
  sourceOwnLength: number;
  inheritedLength: number;
  /** A `from` was seen: only then does the source count (cojson: `if (source && branchStart)`). */
  started: boolean;
  /** Per session, the count of source transactions the branch starts from (union of `from` metas). */
  readonly start: Map<string, number>;
  readonly list: DecodedTransaction[];
  /** What this branch took from its source: a branch of this branch inherits it unfiltered. */
  readonly inherited: DecodedTransaction[];
}

/**
 * What a branch reads (cojson `getValidTransactions` of a branched core): its own transactions
 * plus its source's, up to where the branch started. The start is the union of the `from` known
 * states in the branch's own transactions (cojson's `branchStart`); until one is seen, the source
 * adds nothing. The source's own transactions are filtered by where they really sit (a merged
 * copy by its own place, not its original's) exactly as cojson does: in when the index is at most
 * the start's count for its session — one past the last transaction known at branching, in
 * practice the branch pointer written right after — and every transaction of a session the start
 * does not name is in. What the source inherited from its own source was already limited by the
 * source's start and comes unfiltered, as in cojson's recursion.
 *
 * Like the decoded lists it combines, the result only grows while its parts only grow, so views
 * apply just the tail; a new array when a part was rebuilt or the start moved.
 */
export class BranchTransactions {
  readonly #composed = new Map<CoId, Composed>();

  compose(branchId: CoId, own: readonly DecodedTransaction[], source: BranchSourceParts | undefined): DecodedTransaction[] {
    let composed = this.#composed.get(branchId);
    if (
      composed === undefined ||
      composed.own !== own ||
      composed.source?.own !== source?.own ||
      composed.source?.inherited !== source?.inherited ||
      startMoves(composed, own)
    ) {
      composed = { own, ownLength: 0, source, sourceOwnLength: 0, inheritedLength: 0, started: false, start: new Map(), list: [], inherited: [] };
      this.#composed.set(branchId, composed);
    }
    for (let index = composed.ownLength; index < own.length; index++) {
      const tx = own[index] as DecodedTransaction;
      if (extendStart(composed.start, tx)) composed.started = true;
      composed.list.push(tx);
    }
    composed.ownLength = own.length;
    if (source !== undefined && composed.started) {
      for (let index = composed.sourceOwnLength; index < source.own.length; index++) {
        const tx = source.own[index] as DecodedTransaction;
        const place = tx.place ?? tx.txId;
        if (place.txIndex <= (composed.start.get(place.sessionID) ?? Number.POSITIVE_INFINITY)) take(composed, tx);
      }
      for (let index = composed.inheritedLength; index < source.inherited.length; index++) take(composed, source.inherited[index] as DecodedTransaction);
      composed.sourceOwnLength = source.own.length;
      composed.inheritedLength = source.inherited.length;
    }
    return composed.list;
  }

  /** What the branch `branchId` took from its source (empty if it is not a composed branch). */
  inherited(branchId: CoId): readonly DecodedTransaction[] {
    return this.#composed.get(branchId)?.inherited ?? NOTHING;
  }

  /** Forgets a branch's composition (its value was unloaded). */
  forget(branchId: CoId): void {
    this.#composed.delete(branchId);
  }
}

const NOTHING: readonly DecodedTransaction[] = [];

function take(composed: Composed, tx: DecodedTransaction): void {
  composed.list.push(tx);
  composed.inherited.push(tx);
}

/** True if own transactions added since the last composition would move the start: rebuild. */
function startMoves(composed: Composed, own: readonly DecodedTransaction[]): boolean {
  for (let index = composed.ownLength; index < own.length; index++) {
    const branchFrom = fromOf(own[index] as DecodedTransaction);
    if (branchFrom === undefined) continue;
    if (!composed.started) return true;
    for (const [session, count] of Object.entries(branchFrom)) {
      if (typeof count === "number" && count > (composed.start.get(session) ?? Number.NEGATIVE_INFINITY)) return true;
    }
  }
  return false;
}

/** Adds a `from` meta's counts to the start; true if the transaction carried one. */
function extendStart(start: Map<string, number>, tx: DecodedTransaction): boolean {
  const branchFrom = fromOf(tx);
  if (branchFrom === undefined) return false;
  for (const [session, count] of Object.entries(branchFrom)) {
    if (typeof count === "number") start.set(session, Math.max(count, start.get(session) ?? count));
  }
  return true;
}

function fromOf(tx: DecodedTransaction): Record<string, unknown> | undefined {
  const from = tx.meta?.from;
  return from !== null && typeof from === "object" && !Array.isArray(from) ? (from as Record<string, unknown>) : undefined;
}
