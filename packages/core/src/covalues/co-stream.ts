import type { JsonValue } from "../encoding/canonical-json.js";
import type { SessionId, SessionOwner } from "../ids/session-id.js";
import type { DecodedTransaction, TxId } from "./decoded-transaction.js";
import { assertJsonValue } from "./json-check.js";
import { compareChangeOrder, SeenTransactions, sortedInsertIndex, takeNewSorted } from "./tx-order.js";

/** One item of a CoStream: a change of a transaction, with where and when it was written. */
export interface CoStreamItem {
  readonly value: JsonValue;
  readonly txId: TxId;
  /** Position of the item inside its transaction. */
  readonly changeIdx: number;
  readonly madeAt: number;
  readonly author: SessionOwner;
}


/**
 * The content of a CoStream: one feed per session, each change of a transaction one item.
 *
 * Items in a feed are ordered like cojson's `compareStreamItems` (`madeAt`, then `txIndex`;
 * changes of one transaction in order). Across feeds, `compareTxOrder` decides. `apply` takes
 * transactions in any order, any number of times.
 */
export class CoStreamContent {
  readonly #seen = new SeenTransactions();
  readonly #transactions: DecodedTransaction[] = [];
  readonly #feeds = new Map<SessionId, CoStreamItem[]>();

  /** Applies the transactions not applied before; returns how many were new. */
  apply(txs: Iterable<DecodedTransaction>): number {
    const fresh = takeNewSorted(this.#seen, txs);
    for (const tx of fresh) {
      this.#transactions.push(tx);
      let feed = this.#feeds.get(tx.txId.sessionID);
      tx.changes.forEach((value, changeIdx) => {
        if (feed === undefined) {
          feed = [];
          this.#feeds.set(tx.txId.sessionID, feed);
        }
        const item: CoStreamItem = { value, txId: tx.txId, changeIdx, madeAt: tx.madeAt, author: tx.author };
        feed.splice(sortedInsertIndex(feed, item, compareChangeOrder), 0, item);
      });
    }
    return fresh.length;
  }

  /** Sessions that wrote at least one item, in session id order. */
  sessions(): SessionId[] {
    return [...this.#feeds.keys()].sort();
  }

  /** Accounts (or agents) that wrote at least one item, in id order. */
  authors(): SessionOwner[] {
    const authors = new Set<SessionOwner>();
    for (const feed of this.#feeds.values()) if (feed[0] !== undefined) authors.add(feed[0].author);
    return [...authors].sort();
  }

  /** The feed of one session, oldest first. */
  itemsIn(sessionID: SessionId): readonly CoStreamItem[] {
    return this.#feeds.get(sessionID) ?? [];
  }

  lastItemIn(sessionID: SessionId): CoStreamItem | undefined {
    const feed = this.#feeds.get(sessionID);
    return feed?.[feed.length - 1];
  }

  /** Every item of every session, in `compareTxOrder` order. */
  items(): CoStreamItem[] {
    const all: CoStreamItem[] = [];
    for (const feed of this.#feeds.values()) all.push(...feed);
    return all.sort(compareChangeOrder);
  }

  /** The items of every session of `author`, in `compareTxOrder` order. */
  itemsBy(author: SessionOwner): CoStreamItem[] {
    const all: CoStreamItem[] = [];
    for (const feed of this.#feeds.values()) if (feed[0]?.author === author) all.push(...feed);
    return all.sort(compareChangeOrder);
  }

  /** The latest item of `author` over all their sessions (cojson's `lastItemBy`). */
  lastItemBy(author: SessionOwner): CoStreamItem | undefined {
    let latest: CoStreamItem | undefined;
    for (const feed of this.#feeds.values()) {
      const last = feed[feed.length - 1];
      if (last?.author === author && (latest === undefined || compareChangeOrder(latest, last) < 0)) latest = last;
    }
    return latest;
  }

  /** Values per session, like cojson's `toJSON()`. */
  toJSON(): Record<SessionId, JsonValue[]> {
    const out: Record<SessionId, JsonValue[]> = {};
    for (const sessionID of this.sessions()) out[sessionID] = this.itemsIn(sessionID).map((item) => item.value);
    return out;
  }

  /** The stream as it was from the transactions with `madeAt <= time`. */
  atTime(time: number): CoStreamContent {
    return materializeCoStream(this.#transactions.filter((tx) => tx.madeAt <= time));
  }

  /** How many distinct transactions were applied. */
  get transactionCount(): number {
    return this.#seen.size;
  }
}

/** A CoStream's content from its valid transactions, in any order. */
export function materializeCoStream(txs: Iterable<DecodedTransaction>): CoStreamContent {
  const content = new CoStreamContent();
  content.apply(txs);
  return content;
}

/** The change that pushes `value` onto the writer's feed (the change is the item). */
export function streamPushChange(value: JsonValue): JsonValue {
  assertJsonValue(value, "value");
  return value;
}
