import type { JsonValue } from "../encoding/canonical-json.js";
import type { SessionId, SessionOwner } from "../ids/session-id.js";
import type { DecodedTransaction } from "./decoded-transaction.js";
import { OpIdMap } from "./op-id-map.js";
import { compareOrder, sessionKeyOf, SeenTransactions, sortedInsertIndex, takeNewSorted } from "./tx-order.js";

/** Names one change: the `changeIdx`-th change of transaction `txIndex` in `sessionID`. */
export type OpId = {
  readonly sessionID: SessionId;
  readonly txIndex: number;
  /** Only for ops of a merged branch transaction: the branch it was made in. */
  readonly branch?: string;
  readonly changeIdx: number;
};

/** A CoList change as it sits in a transaction's `changes` (cojson 0.20's `coList.ts`). */
export type CoListChange =
  | { readonly op: "app"; readonly value: JsonValue; readonly after: OpId | "start" }
  | { readonly op: "pre"; readonly value: JsonValue; readonly before: OpId | "end" }
  | { readonly op: "del"; readonly insertion: OpId };

/** A visible item: its value and the insertion that put it there. */
export interface CoListEntry {
  readonly value: JsonValue;
  readonly opId: OpId;
  readonly madeAt: number;
  readonly author: SessionOwner;
}

/** A `del` change: which insertion it deletes, and its own position in the log. */
export interface CoListDeletion {
  readonly insertion: OpId;
  readonly opId: OpId;
  readonly madeAt: number;
  readonly author: SessionOwner;
}

interface Insertion extends CoListEntry {
  /** The session part of the op's key: the session id, or a branch op's own name for it. */
  readonly session: string;
  /** Inserted with `pre` before this one, ascending op order. */
  predecessors: Insertion[] | undefined;
  /** Inserted with `app` after this one, ascending op order. */
  successors: Insertion[] | undefined;
  /** Its item in the current layout while visible, else undefined. */
  shown: CoListEntry | undefined;
  /** From a first-writer-wins loser: never shown, but still an anchor for others. */
  readonly hidden: boolean;
}

interface Waiter {
  readonly insertion: Insertion;
  readonly op: "app" | "pre";
}

/** Where an op points: its key parts. */
interface OpTarget {
  readonly session: string;
  readonly txIndex: number;
  readonly changeIdx: number;
}

function isIndex(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

function parseOpId(value: JsonValue | undefined): (OpId & { readonly branch?: string }) | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  if (typeof value.sessionID !== "string" || !isIndex(value.txIndex) || !isIndex(value.changeIdx)) return undefined;
  return value as unknown as OpId & { readonly branch?: string };
}

type ParsedChange =
  | { readonly op: "app" | "pre"; readonly value: JsonValue; readonly target: OpTarget | "start" | "end" }
  | { readonly op: "del"; readonly insertion: OpId };

function parseChange(change: JsonValue): ParsedChange | undefined {
  if (change === null || typeof change !== "object" || Array.isArray(change)) return undefined;
  if (change.op === "del") {
    const insertion = parseOpId(change.insertion);
    return insertion === undefined ? undefined : { op: "del", insertion };
  }
  if ((change.op !== "app" && change.op !== "pre") || change.value === undefined) return undefined;
  const anchorName = change.op === "app" ? "after" : "before";
  const anchor = change[anchorName];
  if (anchor === (change.op === "app" ? "start" : "end")) return { op: change.op, value: change.value, target: anchor };
  const opId = parseOpId(anchor);
  return opId === undefined
    ? undefined
    : { op: change.op, value: change.value, target: { session: sessionKeyOf(opId), txIndex: opId.txIndex, changeIdx: opId.changeIdx } };
}

function compareInsertions(
  a: { readonly madeAt: number; readonly opId: OpId },
  b: { readonly madeAt: number; readonly opId: OpId },
): number {
  return compareOrder(
    a.madeAt,
    a.opId.sessionID,
    a.opId.txIndex,
    b.madeAt,
    b.opId.sessionID,
    b.opId.txIndex,
    a.opId.changeIdx,
    b.opId.changeIdx,
  );
}

function insertSorted(list: Insertion[], item: Insertion): void {
  list.splice(sortedInsertIndex(list, item, compareInsertions), 0, item);
}

/**
 * The content of a CoList (also the base of CoPlainText), reproducing cojson's RGA-like order:
 *
 * - Ops are processed in op order (`compareTxOrder`, then change index). An insertion whose
 *   anchor (`after`/`before` op) comes later in that order, or never arrives, is invisible for
 *   good, and so is everything anchored on it (cojson drops the link the same way).
 * - An item is laid out as: its `pre` insertions, latest op first; the item; its `app`
 *   insertions, latest op first. So the newest insert after X sits right after X.
 * - Top level: `app after "start"` items in op order, then `pre before "end"` items in op order.
 * - A `del` hides its insertion whenever it arrives, even before the insertion.
 * - Insertions of a first-writer-wins loser (`anchorOnly`) are never shown but still anchor
 *   others; its deletions count.
 *
 * `apply` takes transactions in any order, any number of times; the result always equals a
 * from-scratch materialisation. Malformed changes are skipped (they still use up a change index).
 * Under a `restrictDeletion` ruleset cojson ignores whole transactions with a `del` by an author
 * below manager at `madeAt`: that is permission filtering, so the caller drops them.
 */
export class CoListContent {
  readonly #seen = new SeenTransactions();
  readonly #transactions: DecodedTransaction[] = [];
  readonly #insertions = new OpIdMap<Insertion>();
  readonly #waitingFor = new OpIdMap<Waiter[]>();
  readonly #deletionsOf = new OpIdMap<CoListDeletion[]>();
  readonly #afterStart: Insertion[] = [];
  readonly #beforeEnd: Insertion[] = [];
  /** The visible items in order; undefined until laid out again. */
  #entries: CoListEntry[] | undefined;
  /** `#entries` was handed out by `entries()`: copy before changing it in place. */
  #entriesShared = false;
  /** Where the last in-place insertion went: the next one is usually right behind it. */
  #hint = 0;

  /**
   * Applies the transactions not applied before; returns how many were new. The common edits
   * (an item appended after a visible one as its newest successor, a visible item deleted)
   * update the current layout in place; anything else lays the list out again on next read.
   */
  apply(txs: Iterable<DecodedTransaction>): number {
    const fresh = takeNewSorted(this.#seen, txs, true);
    for (const tx of fresh) {
      this.#transactions.push(tx);
      const { sessionID, txIndex, branch } = tx.txId;
      const session = sessionKeyOf(tx.txId);
      tx.changes.forEach((raw, changeIdx) => {
        const change = parseChange(raw);
        if (change === undefined) return;
        // cojson's op ids carry the branch between index and change index.
        const opId: OpId = branch === undefined ? { sessionID, txIndex, changeIdx } : { sessionID, txIndex, branch, changeIdx };
        if (change.op === "del") {
          this.#addDeletion({ insertion: change.insertion, opId, madeAt: tx.madeAt, author: tx.author });
          this.#hideDeleted(change.insertion);
        } else {
          const insertion: Insertion = {
            session,
            value: change.value,
            opId,
            madeAt: tx.madeAt,
            author: tx.author,
            predecessors: undefined,
            successors: undefined,
            shown: undefined,
            hidden: tx.anchorOnly === true,
          };
          this.#addInsertion(insertion, change.op, change.target);
          this.#showInserted(insertion, change.op, change.target);
        }
      });
    }
    return fresh.length;
  }

  /** The visible items with the insertions that made them, in list order. */
  entries(): readonly CoListEntry[] {
    // Laid out first: a fresh layout clears the flag, and this array is the one handed out.
    const entries = this.#current();
    this.#entriesShared = true;
    return entries;
  }

  /** The visible item at `index`, or undefined. */
  entryAt(index: number): CoListEntry | undefined {
    return this.#current()[index];
  }

  asArray(): JsonValue[] {
    return this.#current().map((entry) => entry.value);
  }

  /** The items as an array (what cojson's `toJSON()` returns). */
  toJSON(): JsonValue[] {
    return this.asArray();
  }

  get(index: number): JsonValue | undefined {
    return this.#current()[index]?.value;
  }

  get length(): number {
    return this.#current().length;
  }

  /** Every `del` change applied, in op order. */
  deletions(): CoListDeletion[] {
    const all: CoListDeletion[] = [];
    for (const list of this.#deletionsOf.values()) all.push(...list);
    return all.sort(compareInsertions);
  }

  /** The list as it was from the transactions with `madeAt <= time`. */
  atTime(time: number): this {
    const view = new (this.constructor as new () => this)();
    view.apply(this.#transactions.filter((tx) => tx.madeAt <= time));
    return view;
  }

  /** How many distinct transactions were applied. */
  get transactionCount(): number {
    return this.#seen.size;
  }

  #current(): CoListEntry[] {
    if (this.#entries === undefined) {
      this.#entries = this.#layout();
      this.#entriesShared = false;
    }
    return this.#entries;
  }

  /** The current layout, to be changed in place (undefined if it must be laid out again anyway). */
  #editableEntries(): CoListEntry[] | undefined {
    if (this.#entries !== undefined && this.#entriesShared) {
      this.#entries = this.#entries.slice();
      this.#entriesShared = false;
    }
    return this.#entries;
  }

  #indexOf(entry: CoListEntry, entries: readonly CoListEntry[]): number {
    if (entries[this.#hint] === entry) return this.#hint;
    return entries.lastIndexOf(entry);
  }

  #hideDeleted(target: OpId): void {
    const insertion = this.#insertions.get(sessionKeyOf(target), target.txIndex, target.changeIdx);
    const shown = insertion?.shown;
    if (shown === undefined) return; // not visible: the layout does not change
    (insertion as Insertion).shown = undefined;
    const entries = this.#editableEntries();
    if (entries === undefined) return;
    const index = this.#indexOf(shown, entries);
    if (index >= 0) entries.splice(index, 1);
    else this.#entries = undefined;
  }

  /**
   * Puts a new insertion into the current layout when its place is plain: it is the newest
   * successor of a visible item (so it goes right after that item), or the newest top-level item
   * of a list with no `pre … "end"` items (so it goes last). Else the list is laid out again.
   */
  #showInserted(insertion: Insertion, op: "app" | "pre", target: OpTarget | "start" | "end"): void {
    if (this.#entries === undefined) return;
    // A hidden anchor nothing hangs on yet shows nothing.
    if (insertion.hidden && insertion.predecessors === undefined && insertion.successors === undefined) return;
    const plain =
      insertion.predecessors === undefined && insertion.successors === undefined && !this.#isDeleted(insertion) && !insertion.hidden;
    if (plain && op === "app" && target === "start") {
      if (this.#beforeEnd.length === 0 && this.#afterStart[this.#afterStart.length - 1] === insertion) {
        const entries = this.#editableEntries() as CoListEntry[];
        insertion.shown = entryOf(insertion);
        entries.push(insertion.shown);
        return;
      }
    } else if (plain && op === "app" && typeof target === "object") {
      const anchor = this.#insertions.get(target.session, target.txIndex, target.changeIdx);
      const successors = anchor?.successors;
      if (anchor?.shown !== undefined && successors !== undefined && successors[successors.length - 1] === insertion) {
        const entries = this.#editableEntries() as CoListEntry[];
        const index = this.#indexOf(anchor.shown, entries);
        if (index >= 0) {
          insertion.shown = entryOf(insertion);
          entries.splice(index + 1, 0, insertion.shown);
          this.#hint = index + 1;
          return;
        }
      }
    }
    // An insertion that links nowhere (its anchor is missing, or came later) changes nothing.
    const linked = typeof target !== "object" || this.#isLinked(insertion, target);
    if (linked || insertion.successors !== undefined || insertion.predecessors !== undefined) this.#entries = undefined;
  }

  #isLinked(insertion: Insertion, target: OpTarget): boolean {
    const anchor = this.#insertions.get(target.session, target.txIndex, target.changeIdx);
    return anchor !== undefined && ((anchor.successors?.includes(insertion) ?? false) || (anchor.predecessors?.includes(insertion) ?? false));
  }

  #addDeletion(deletion: CoListDeletion): void {
    const { txIndex, changeIdx } = deletion.insertion;
    const session = sessionKeyOf(deletion.insertion);
    const list = this.#deletionsOf.get(session, txIndex, changeIdx);
    if (list === undefined) this.#deletionsOf.set(session, txIndex, changeIdx, [deletion]);
    else list.push(deletion);
  }

  #isDeleted(insertion: Insertion): boolean {
    return this.#deletionsOf.size > 0 && this.#deletionsOf.has(insertion.session, insertion.opId.txIndex, insertion.opId.changeIdx);
  }

  #addInsertion(insertion: Insertion, op: "app" | "pre", target: OpTarget | "start" | "end"): void {
    const { session } = insertion;
    const { txIndex, changeIdx } = insertion.opId;
    if (this.#insertions.has(session, txIndex, changeIdx)) return;
    this.#insertions.set(session, txIndex, changeIdx, insertion);
    if (target === "start") insertSorted(this.#afterStart, insertion);
    else if (target === "end") insertSorted(this.#beforeEnd, insertion);
    else {
      const anchor = this.#insertions.get(target.session, target.txIndex, target.changeIdx);
      if (anchor !== undefined) this.#link(anchor, insertion, op);
      else {
        const waiters = this.#waitingFor.get(target.session, target.txIndex, target.changeIdx);
        if (waiters === undefined) this.#waitingFor.set(target.session, target.txIndex, target.changeIdx, [{ insertion, op }]);
        else waiters.push({ insertion, op });
      }
    }
    if (this.#waitingFor.size === 0) return;
    const waiters = this.#waitingFor.take(session, txIndex, changeIdx);
    if (waiters !== undefined) for (const waiter of waiters) this.#link(insertion, waiter.insertion, waiter.op);
  }

  // cojson links an insertion only if its anchor was processed first, i.e. comes earlier in op order.
  #link(anchor: Insertion, insertion: Insertion, op: "app" | "pre"): void {
    if (compareInsertions(anchor, insertion) >= 0) return;
    if (op === "app") {
      anchor.successors ??= [];
      insertSorted(anchor.successors, insertion);
    } else {
      anchor.predecessors ??= [];
      insertSorted(anchor.predecessors, insertion);
    }
  }

  // Iterative (lists can be chains millions deep): a stack of insertions to lay out, each
  // with a flag saying "emit it now" (its predecessors are done) or "expand it".
  #layout(): CoListEntry[] {
    const out: CoListEntry[] = [];
    const stack: Insertion[] = [];
    const emitNow: boolean[] = [];
    const expand = (insertion: Insertion): void => {
      stack.push(insertion);
      emitNow.push(false);
    };
    for (let index = this.#beforeEnd.length - 1; index >= 0; index--) expand(this.#beforeEnd[index] as Insertion);
    for (let index = this.#afterStart.length - 1; index >= 0; index--) expand(this.#afterStart[index] as Insertion);
    while (stack.length > 0) {
      const insertion = stack.pop() as Insertion;
      if (emitNow.pop() === true) {
        insertion.shown = this.#isDeleted(insertion) || insertion.hidden ? undefined : entryOf(insertion);
        if (insertion.shown !== undefined) out.push(insertion.shown);
        continue;
      }
      // Popped in reverse: latest predecessor first, …, the item, latest successor first, ….
      for (const successor of insertion.successors ?? []) expand(successor);
      stack.push(insertion);
      emitNow.push(true);
      for (const predecessor of insertion.predecessors ?? []) expand(predecessor);
    }
    return out;
  }
}

function entryOf(insertion: Insertion): CoListEntry {
  return { value: insertion.value, opId: insertion.opId, madeAt: insertion.madeAt, author: insertion.author };
}

/** A CoList's content from its valid transactions, in any order. */
export function materializeCoList(txs: Iterable<DecodedTransaction>): CoListContent {
  const content = new CoListContent();
  content.apply(txs);
  return content;
}
