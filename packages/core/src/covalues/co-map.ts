import type { JsonObject, JsonValue } from "../encoding/canonical-json.js";
import type { SessionOwner } from "../ids/session-id.js";
import type { DecodedTransaction, TxId } from "./decoded-transaction.js";
import { assertJsonValue, assertWellFormedString } from "./json-check.js";
import { compareChangeOrder, SeenTransactions, sortedInsertIndex, takeNewSorted } from "./tx-order.js";

/** A CoMap change as it sits in a transaction's `changes` (cojson 0.20's `coMap.ts`). */
export type CoMapChange =
  | { readonly op: "set"; readonly key: string; readonly value: JsonValue }
  | { readonly op: "del"; readonly key: string };

/** One edit of one key: who wrote what, when, and where in the log. */
export interface CoMapEdit {
  readonly key: string;
  readonly op: "set" | "del";
  /** The value set; undefined for a delete. */
  readonly value: JsonValue | undefined;
  readonly author: SessionOwner;
  readonly madeAt: number;
  readonly txId: TxId;
  /** Position of the change inside its transaction. */
  readonly changeIdx: number;
}


function parseChange(change: JsonValue): CoMapChange | undefined {
  if (change === null || typeof change !== "object" || Array.isArray(change)) return undefined;
  if (typeof change.key !== "string") return undefined;
  if (change.op === "del") return { op: "del", key: change.key };
  if (change.op === "set" && change.value !== undefined) return { op: "set", key: change.key, value: change.value };
  return undefined;
}

/**
 * The content of a CoMap: last-writer-wins per key, in `compareTxOrder` order (later change
 * index wins inside one transaction). Matches cojson whenever `madeAt` differs between
 * sessions; see `compareTxOrder` for ties.
 *
 * `apply` takes transactions in any order, any number of times: the state always equals a
 * from-scratch materialisation of every distinct transaction applied so far. Changes that are
 * not `{op:"set",key,value}` / `{op:"del",key}` are skipped.
 */
export class CoMapContent {
  readonly #seen = new SeenTransactions();
  readonly #historyByKey = new Map<string, CoMapEdit[]>();
  readonly #transactions: DecodedTransaction[] = [];
  #keyOrder: string[] | undefined;

  /** Applies the transactions not applied before; returns how many were new. */
  apply(txs: Iterable<DecodedTransaction>): number {
    const fresh = takeNewSorted(this.#seen, txs);
    for (const tx of fresh) {
      this.#transactions.push(tx);
      tx.changes.forEach((raw, changeIdx) => {
        const change = parseChange(raw);
        if (change === undefined) return;
        const edit: CoMapEdit = {
          key: change.key,
          op: change.op,
          value: change.op === "set" ? change.value : undefined,
          author: tx.author,
          madeAt: tx.madeAt,
          txId: tx.txId,
          changeIdx,
        };
        let history = this.#historyByKey.get(change.key);
        if (history === undefined) {
          history = [];
          this.#historyByKey.set(change.key, history);
        }
        history.splice(sortedInsertIndex(history, edit, compareChangeOrder), 0, edit);
      });
    }
    if (fresh.length > 0) this.#keyOrder = undefined;
    return fresh.length;
  }

  /** The current value of `key`, or undefined if never set or deleted last. */
  get(key: string): JsonValue | undefined {
    const last = this.lastEdit(key);
    return last?.op === "set" ? last.value : undefined;
  }

  has(key: string): boolean {
    return this.lastEdit(key)?.op === "set";
  }

  /** Keys with a current value, in the order of each key's first edit. */
  keys(): string[] {
    return this.#orderedKeys().filter((key) => this.has(key));
  }

  entries(): Array<[string, JsonValue]> {
    const out: Array<[string, JsonValue]> = [];
    for (const key of this.#orderedKeys()) {
      const value = this.get(key);
      if (value !== undefined) out.push([key, value]);
    }
    return out;
  }

  /** The map as a plain object (what cojson's `toJSON()` / `asObject()` return). */
  toJSON(): JsonObject {
    const out: JsonObject = {};
    // defineProperty, so a "__proto__" key is data and not the prototype.
    for (const [key, value] of this.entries()) {
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  /** The edit that decides `key`'s value, deletes included. */
  lastEdit(key: string): CoMapEdit | undefined {
    const history = this.#historyByKey.get(key);
    return history?.[history.length - 1];
  }

  /** Every edit of `key`, oldest first (the winner is last). */
  history(key: string): readonly CoMapEdit[] {
    return this.#historyByKey.get(key) ?? [];
  }

  /** Every key ever edited, deleted ones included, in first-edit order. */
  editedKeys(): string[] {
    return [...this.#orderedKeys()];
  }

  /** The map as it was from the transactions with `madeAt <= time`. */
  atTime(time: number): CoMapContent {
    return materializeCoMap(this.#transactions.filter((tx) => tx.madeAt <= time));
  }

  /** How many distinct transactions were applied. */
  get transactionCount(): number {
    return this.#seen.size;
  }

  #orderedKeys(): string[] {
    if (this.#keyOrder === undefined) {
      const firstEdits: CoMapEdit[] = [];
      for (const history of this.#historyByKey.values()) if (history[0] !== undefined) firstEdits.push(history[0]);
      firstEdits.sort(compareChangeOrder);
      this.#keyOrder = firstEdits.map((edit) => edit.key);
    }
    return this.#keyOrder;
  }
}

/** A CoMap's content from its valid transactions, in any order. */
export function materializeCoMap(txs: Iterable<DecodedTransaction>): CoMapContent {
  const content = new CoMapContent();
  content.apply(txs);
  return content;
}

/** The change that sets `key` to `value` (a CoValue is referenced by its id string). */
export function mapSetChange(key: string, value: JsonValue): CoMapChange {
  assertWellFormedString(key, "key");
  assertJsonValue(value, "value");
  return { op: "set", key, value };
}

/** The change that deletes `key`. */
export function mapDeleteChange(key: string): CoMapChange {
  assertWellFormedString(key, "key");
  return { op: "del", key };
}

/** One set change per entry, in the object's key order (cojson's `assign`, one transaction). */
export function mapAssignChanges(entries: Readonly<Record<string, JsonValue>>): CoMapChange[] {
  if (entries === null || typeof entries !== "object" || Array.isArray(entries)) {
    throw new TypeError("entries: expected a plain object of key → JSON value");
  }
  return Object.entries(entries).map(([key, value]) => {
    assertJsonValue(value, `entries.${key}`);
    return mapSetChange(key, value);
  });
}
