import type { DecodedTransaction, TxId } from "./decoded-transaction.js";
import { splitGraphemes } from "./graphemes.js";
import { type CoListChange, CoListContent, type OpId } from "./co-list.js";
import { assertIndex, assertWellFormedString } from "./json-check.js";

/**
 * Graphemes per transaction when inserting text: cojson's `splitIntoChunks` uses
 * `ceil(MAX_RECOMMENDED_TX_SIZE / 200)` = 512.
 */
export const TEXT_CHUNK_GRAPHEMES = Math.ceil((100 * 1024) / 200);

/**
 * The content of a CoPlainText: a CoList whose items are grapheme clusters (cojson
 * `coPlainText.ts`). Indexes everywhere count list items, i.e. graphemes as they were inserted.
 */
export class CoPlainTextContent extends CoListContent {
  /** The text (cojson's `toString()`: the items joined). */
  override toString(): string {
    return this.asArray().join("");
  }
}

/** A CoPlainText's content from its valid transactions, in any order. */
export function materializeCoPlainText(txs: Iterable<DecodedTransaction>): CoPlainTextContent {
  const content = new CoPlainTextContent();
  content.apply(txs);
  return content;
}

type Anchor = { readonly op: "app"; readonly at: OpId | "start" } | { readonly op: "pre"; readonly at: OpId };

// One transaction per TEXT_CHUNK_GRAPHEMES graphemes. Chunks after the first are anchored on
// the last grapheme of the chunk before, so they need the id that transaction will get.
function insertGraphemes(graphemes: readonly string[], first: Anchor, firstTxId: TxId | undefined): CoListChange[][] {
  if (graphemes.length > TEXT_CHUNK_GRAPHEMES && firstTxId === undefined) {
    throw new TypeError(
      `firstTxId: required to insert more than ${TEXT_CHUNK_GRAPHEMES} graphemes (later transactions anchor on earlier ones)`,
    );
  }
  const transactions: CoListChange[][] = [];
  let anchor = first;
  for (let start = 0; start < graphemes.length; start += TEXT_CHUNK_GRAPHEMES) {
    const chunk = graphemes.slice(start, start + TEXT_CHUNK_GRAPHEMES);
    let changes: CoListChange[];
    let lastChangeIdx: number;
    if (anchor.op === "app" && anchor.at === "start") {
      changes = chunk.map((value) => ({ op: "app", value, after: "start" }));
      lastChangeIdx = chunk.length - 1;
    } else {
      // Anchored on one item: emitted in reverse, so the latest op (the first grapheme) reads first.
      const at = anchor.at as OpId;
      changes = chunk.map((value): CoListChange => (anchor.op === "app" ? { op: "app", value, after: at } : { op: "pre", value, before: at }));
      changes.reverse();
      lastChangeIdx = 0;
    }
    if (firstTxId !== undefined) {
      const lastOp: OpId = { sessionID: firstTxId.sessionID, txIndex: firstTxId.txIndex + transactions.length, changeIdx: lastChangeIdx };
      anchor = { op: "app", at: lastOp };
    }
    transactions.push(changes);
  }
  return transactions;
}

/**
 * Transactions (one change array each) that insert `str` so it starts at grapheme `index`
 * (0 ≤ index ≤ length; cojson's `insertBefore`). `firstTxId` is the id the first returned
 * transaction will get (the rest follow in the same session); needed only past
 * `TEXT_CHUNK_GRAPHEMES` graphemes.
 */
export function textInsertBeforeChanges(
  text: CoPlainTextContent,
  index: number,
  str: string,
  firstTxId?: TxId,
): CoListChange[][] {
  assertWellFormedString(str, "str");
  const entries = text.entries();
  assertIndex(index, "index", 0, entries.length);
  const graphemes = splitGraphemes(str);
  if (index === 0) {
    const head = entries[0];
    return insertGraphemes(graphemes, head === undefined ? { op: "app", at: "start" } : { op: "pre", at: head.opId }, firstTxId);
  }
  return insertGraphemes(graphemes, { op: "app", at: (entries[index - 1] as { opId: OpId }).opId }, firstTxId);
}

/**
 * cojson's `insertAfter`: `str` goes after the grapheme at `index`; `index === length` (or an
 * empty text) appends at the end. See `textInsertBeforeChanges` for `firstTxId`.
 */
export function textInsertAfterChanges(
  text: CoPlainTextContent,
  index: number,
  str: string,
  firstTxId?: TxId,
): CoListChange[][] {
  assertWellFormedString(str, "str");
  const entries = text.entries();
  assertIndex(index, "index", 0, entries.length);
  const anchorEntry = index === entries.length ? entries[index - 1] : entries[index];
  const graphemes = splitGraphemes(str);
  return insertGraphemes(graphemes, { op: "app", at: anchorEntry === undefined ? "start" : anchorEntry.opId }, firstTxId);
}

/** One transaction's changes deleting the graphemes at [from, to) (cojson's `deleteRange`). */
export function textDeleteRangeChanges(text: CoPlainTextContent, from: number, to: number): CoListChange[] {
  const entries = text.entries();
  assertIndex(from, "from", 0, entries.length);
  assertIndex(to, "to", from, entries.length);
  return entries.slice(from, to).map((entry) => ({ op: "del", insertion: entry.opId }));
}
