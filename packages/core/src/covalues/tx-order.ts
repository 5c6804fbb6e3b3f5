import type { DecodedTransaction, TxId } from "./decoded-transaction.js";

/**
 * The order every materialiser applies transactions in: `madeAt`, then session id (UTF-16
 * code-unit order), then `txIndex`.
 *
 * cojson sorts by `madeAt` and, within one session, by `txIndex`; transactions of different
 * sessions with equal `madeAt` keep the order they reached that replica in
 * (`CoValueCore.compareTransactions` returns 0 and the sort is stable), so two cojson replicas
 * can disagree for ever on such ties. cosync breaks them by session id — the tie-break cojson's
 * own CoStream comparator (`compareStreamItems`) uses — so every cosync replica agrees.
 */
export function compareTxOrder(
  a: { readonly madeAt: number; readonly txId: TxId },
  b: { readonly madeAt: number; readonly txId: TxId },
): number {
  return compareOrder(a.madeAt, a.txId.sessionID, a.txId.txIndex, b.madeAt, b.txId.sessionID, b.txId.txIndex);
}

/** Anything placed at one change of one transaction: map edits, stream items. */
export interface ChangePlace {
  readonly madeAt: number;
  readonly txId: TxId;
  readonly changeIdx: number;
}

/** `compareTxOrder`, then the change index inside the transaction. */
export function compareChangeOrder(a: ChangePlace, b: ChangePlace): number {
  return compareOrder(a.madeAt, a.txId.sessionID, a.txId.txIndex, b.madeAt, b.txId.sessionID, b.txId.txIndex, a.changeIdx, b.changeIdx);
}

/** `compareTxOrder` over loose fields, plus the change index inside the transaction. */
export function compareOrder(
  aMadeAt: number,
  aSession: string,
  aTxIndex: number,
  bMadeAt: number,
  bSession: string,
  bTxIndex: number,
  aChangeIdx = 0,
  bChangeIdx = 0,
): number {
  if (aMadeAt !== bMadeAt) return aMadeAt < bMadeAt ? -1 : 1;
  if (aSession !== bSession) return aSession < bSession ? -1 : 1;
  if (aTxIndex !== bTxIndex) return aTxIndex - bTxIndex;
  return aChangeIdx - bChangeIdx;
}

/**
 * The session part of a transaction's or op's key: a merged copy of a branch transaction is
 * keyed apart from the source's own transaction with the same session and index (cojson too).
 */
export function sessionKeyOf(place: { readonly sessionID: string; readonly branch?: string }): string {
  return typeof place.branch === "string" ? `${place.sessionID}_branch_${place.branch}` : place.sessionID;
}

/**
 * The transaction ids a materialiser has already applied.
 *
 * Materialisers are idempotent: a transaction whose id was seen before is ignored (a verified
 * session log never holds two different transactions under one id, so it is a re-delivery).
 */
export class SeenTransactions {
  readonly #bySession = new Map<string, Set<number>>();
  #count = 0;

  /** Records `txId`; false if it was already recorded. */
  add(txId: TxId): boolean {
    const session = sessionKeyOf(txId);
    let indices = this.#bySession.get(session);
    if (indices === undefined) {
      indices = new Set();
      this.#bySession.set(session, indices);
    }
    if (indices.has(txId.txIndex)) return false;
    indices.add(txId.txIndex);
    this.#count++;
    return true;
  }

  has(txId: TxId): boolean {
    return this.#bySession.get(sessionKeyOf(txId))?.has(txId.txIndex) ?? false;
  }

  get size(): number {
    return this.#count;
  }
}

/**
 * The transactions of `txs` not seen before (recording them), sorted by `compareTxOrder`.
 * First-writer-wins losers (`anchorOnly`) are left out unless the caller keeps anchors.
 */
export function takeNewSorted(seen: SeenTransactions, txs: Iterable<DecodedTransaction>, keepAnchors = false): DecodedTransaction[] {
  const fresh: DecodedTransaction[] = [];
  for (const tx of txs) if ((keepAnchors || tx.anchorOnly !== true) && seen.add(tx.place ?? tx.txId)) fresh.push(tx);
  fresh.sort(compareTxOrder);
  return fresh;
}

/** Index at which `item` keeps `sorted` (ascending by `compare`) sorted, after equal items. */
export function sortedInsertIndex<T>(sorted: readonly T[], item: T, compare: (a: T, b: T) => number): number {
  let low = 0;
  let high = sorted.length;
  // Fast path: appends in order are the common case (live editing, in-order sync).
  if (high > 0 && compare(sorted[high - 1] as T, item) <= 0) return high;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compare(sorted[mid] as T, item) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}
