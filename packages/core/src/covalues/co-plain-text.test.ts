import { expect, test } from "vitest";
import type { JsonValue } from "../encoding/canonical-json.js";
import type { SessionId } from "../ids/session-id.js";
import type { CoListChange } from "./co-list.js";
import {
  CoPlainTextContent,
  materializeCoPlainText,
  TEXT_CHUNK_GRAPHEMES,
  textDeleteRangeChanges,
  textInsertAfterChanges,
  textInsertBeforeChanges,
} from "./co-plain-text.js";
import type { DecodedTransaction, TxId } from "./decoded-transaction.js";
import { splitGraphemes } from "./graphemes.js";
import { sessionA, sessionB, tx } from "./writers.test-helpers.js";

/** A writer: applies builder output as its session's next transactions, with increasing madeAt. */
function writer(text: CoPlainTextContent, sessionID: SessionId, clock: { now: number }) {
  let txIndex = 0;
  return {
    next(): TxId {
      return { sessionID, txIndex };
    },
    commit(transactions: CoListChange[][]): void {
      text.apply(transactions.map((changes) => tx(sessionID, txIndex++, ++clock.now, changes as JsonValue[])));
    },
  };
}

test("co-plain-text: emoji, ZWJ sequences, flags and combining marks are single graphemes", () => {
  expect(splitGraphemes("a👨‍👩‍👧‍👦🇫🇷e\u0301🏳️‍🌈👍🏽\r\nक्षि")).toEqual(["a", "👨‍👩‍👧‍👦", "🇫🇷", "e\u0301", "🏳️‍🌈", "👍🏽", "\r\n", "क्षि"]);
  expect(splitGraphemes("")).toEqual([]);
});

test("co-plain-text: inserts before and after grapheme indexes, and deletes ranges", () => {
  const text = new CoPlainTextContent();
  const alice = writer(text, sessionA, { now: 0 });
  alice.commit(textInsertBeforeChanges(text, 0, "hello"));
  expect(text.toString()).toBe("hello");
  alice.commit(textInsertBeforeChanges(text, 0, "👋🏽 "));
  expect(text.toString()).toBe("👋🏽 hello");
  alice.commit(textInsertBeforeChanges(text, text.length, " wörld"));
  expect(text.toString()).toBe("👋🏽 hello wörld");
  alice.commit(textInsertAfterChanges(text, 0, "🇫🇷"));
  expect(text.toString()).toBe("👋🏽🇫🇷 hello wörld");
  alice.commit(textInsertAfterChanges(text, text.length, "!"));
  expect(text.toString()).toBe("👋🏽🇫🇷 hello wörld!");
  alice.commit([textDeleteRangeChanges(text, 1, 3)]);
  expect(text.toString()).toBe("👋🏽hello wörld!");
  expect(text.length).toBe(splitGraphemes("👋🏽hello wörld!").length);
  expect(text.asArray()[0]).toBe("👋🏽");
  alice.commit([textDeleteRangeChanges(text, 0, text.length)]);
  expect(text.toString()).toBe("");
  alice.commit(textInsertAfterChanges(text, 0, "again"));
  expect(text.toString()).toBe("again");
});

function asTransactions(sessionID: SessionId, firstTxIndex: number, madeAt: number, transactions: CoListChange[][]): DecodedTransaction[] {
  return transactions.map((changes, offset) => tx(sessionID, firstTxIndex + offset, madeAt, changes as JsonValue[], "trusting"));
}

test("co-plain-text: concurrent inserts at one index keep each insert contiguous and converge", () => {
  const shared = new CoPlainTextContent();
  const initial = asTransactions(sessionA, 0, 1, textInsertBeforeChanges(shared, 0, "ab"));
  shared.apply(initial);
  // Both writers insert at index 1 from the same state, with the same madeAt.
  const fromA = asTransactions(sessionA, 1, 2, textInsertBeforeChanges(shared, 1, "🇯🇵🇯🇵"));
  const fromB = asTransactions(sessionB, 0, 2, textInsertBeforeChanges(shared, 1, "e\u0301e\u0301"));
  const one = materializeCoPlainText([...initial, ...fromA, ...fromB]).toString();
  const other = materializeCoPlainText([...fromB, ...fromA, ...initial]).toString();
  expect(one).toBe(other);
  // The later op (larger session id on a tie) sits right after the anchor.
  expect(one).toBe("ae\u0301e\u0301🇯🇵🇯🇵b");
});

test("co-plain-text: text longer than one chunk goes in several transactions anchored on each other", () => {
  const text = new CoPlainTextContent();
  const alice = writer(text, sessionA, { now: 0 });
  alice.commit(textInsertBeforeChanges(text, 0, "[]"));
  const long = "🙂x".repeat(TEXT_CHUNK_GRAPHEMES);
  const transactions = textInsertBeforeChanges(text, 1, long, alice.next());
  expect(transactions).toHaveLength(2);
  expect(transactions.map((changes) => changes.length)).toEqual([TEXT_CHUNK_GRAPHEMES, TEXT_CHUNK_GRAPHEMES]);
  alice.commit(transactions);
  expect(text.toString()).toBe(`[${long}]`);
  const atStart = textInsertBeforeChanges(text, 0, long.repeat(2), alice.next());
  expect(atStart).toHaveLength(4);
  alice.commit(atStart);
  expect(text.toString()).toBe(`${long.repeat(2)}[${long}]`);
  const empty = new CoPlainTextContent();
  const bob = writer(empty, sessionB, { now: 0 });
  bob.commit(textInsertAfterChanges(empty, 0, long, bob.next()));
  expect(empty.toString()).toBe(long);
});

test("co-plain-text: builders reject bad input, naming the argument", () => {
  const text = new CoPlainTextContent();
  writer(text, sessionA, { now: 0 }).commit(textInsertBeforeChanges(text, 0, "abc"));
  expect(textInsertBeforeChanges(text, 1, "")).toEqual([]);
  expect(textDeleteRangeChanges(text, 1, 1)).toEqual([]);
  expect(() => textInsertBeforeChanges(text, 4, "x")).toThrow(new RangeError("index: 4 is out of range [0, 3]"));
  expect(() => textInsertAfterChanges(text, -1, "x")).toThrow(RangeError);
  expect(() => textInsertBeforeChanges(text, 0, 5 as unknown as string)).toThrow(/^str: expected a string/);
  expect(() => textInsertBeforeChanges(text, 0, "\uDC00")).toThrow(/^str: string has an unpaired UTF-16 surrogate/);
  expect(() => textDeleteRangeChanges(text, 2, 1)).toThrow(new RangeError("to: 1 is out of range [2, 3]"));
  expect(() => textDeleteRangeChanges(text, 0, 4)).toThrow(RangeError);
  expect(() => textInsertBeforeChanges(text, 0, "x".repeat(TEXT_CHUNK_GRAPHEMES + 1))).toThrow(/^firstTxId: required/);
});

test("co-plain-text: atTime returns a CoPlainText", () => {
  const text = new CoPlainTextContent();
  const alice = writer(text, sessionA, { now: 0 });
  alice.commit(textInsertBeforeChanges(text, 0, "ab"));
  alice.commit(textInsertBeforeChanges(text, 2, "cd"));
  const past = text.atTime(1);
  expect(past).toBeInstanceOf(CoPlainTextContent);
  expect(past.toString()).toBe("ab");
});
