import type { DecodedTransaction } from "../covalues/decoded-transaction.js";
import { compareTxOrder } from "../covalues/tx-order.js";

/** What admitting one transaction decided. */
export interface FirstWriterOutcome {
  /** The transaction as it counts: itself, or marked `anchorOnly` if it lost. */
  readonly tx: DecodedTransaction;
  /** An earlier-admitted winner this one beat: it now counts as `anchorOnly`. */
  readonly demoted?: DecodedTransaction;
}

/**
 * cojson's first-writer-wins rule (`meta.fww`, e.g. `{ fww: "init" }` on the transaction that
 * initialises a unique value, which several clients may write at once): of the valid
 * transactions naming the same key, only the first in transaction order stays valid.
 *
 * cojson compares by `madeAt` (and index within a session) and lets the first to arrive win a
 * tie across sessions; cosync breaks that tie by session id like every other ordering, so all
 * replicas agree. Keys compare as cojson's `Map` does: primitives by value, objects never.
 */
export class FirstWriterWins {
  readonly #winners = new Map<unknown, DecodedTransaction>();

  /** Admits a valid transaction; transactions without `meta.fww` pass unchanged. */
  admit(tx: DecodedTransaction): FirstWriterOutcome {
    const meta = tx.meta;
    if (meta === undefined || !Object.hasOwn(meta, "fww")) return { tx };
    const key = meta.fww;
    if (key !== null && typeof key === "object") return { tx };
    const winner = this.#winners.get(key);
    if (winner !== undefined && compareTxOrder(winner, tx) <= 0) return { tx: { ...tx, anchorOnly: true } };
    this.#winners.set(key, tx);
    return winner === undefined ? { tx } : { tx, demoted: winner };
  }
}
