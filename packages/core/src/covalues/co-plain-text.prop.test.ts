import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import type { JsonValue } from "../encoding/canonical-json.js";
import type { SessionId, SessionOwner } from "../ids/session-id.js";
import type { CoListChange } from "./co-list.js";
import {
  CoPlainTextContent,
  materializeCoPlainText,
  TEXT_CHUNK_GRAPHEMES,
  textDeleteRangeChanges,
  textInsertAfterChanges,
  textInsertBeforeChanges,
} from "./co-plain-text.js";
import type { DecodedTransaction } from "./decoded-transaction.js";
import { splitGraphemes } from "./graphemes.js";

// Three writers edit their replica of a text with emoji, ZWJ sequences, flags and combining
// marks, madeAt drawn from a tiny range, syncing pairwise now and then.

const sessions = ["co_zAlice_session_zA", "co_zBob_session_zB", "co_zCarol_session_zC"] as SessionId[];
const pieces = ["a", "é", "e\u0301", "👨‍👩‍👧‍👦", "🇫🇷", "🏳️‍🌈", "👍🏽", "क्षि", "\r\n", " ", "x"];
const long = pieces.join("").repeat(Math.ceil((TEXT_CHUNK_GRAPHEMES + 20) / pieces.length));

const arbEdit = fc.record({
  kind: fc.constantFrom("before", "after", "delete"),
  session: fc.integer({ min: 0, max: 2 }),
  madeAt: fc.integer({ min: 0, max: 4 }),
  index: fc.nat({ max: 60 }),
  span: fc.integer({ min: 0, max: 4 }),
  text: fc.oneof({ arbitrary: fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 4 }).map((parts) => parts.join("")), weight: 20 }, { arbitrary: fc.constant(long), weight: 1 }),
});
const arbCommand = fc.oneof(
  { arbitrary: arbEdit, weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant("sync" as const), from: fc.integer({ min: 0, max: 2 }), to: fc.integer({ min: 0, max: 2 }) }), weight: 1 },
);
type Command = typeof arbCommand extends fc.Arbitrary<infer T> ? T : never;

const arbDelivery = fc.record({ seed: fc.nat(), duplicates: fc.integer({ min: 0, max: 3 }), batches: fc.integer({ min: 1, max: 6 }) });
type Delivery = typeof arbDelivery extends fc.Arbitrary<infer T> ? T : never;

/** `txs` shuffled, some repeated, cut into batches (deterministic from the delivery's seed). */
function deliver(txs: readonly DecodedTransaction[], { seed, duplicates, batches }: Delivery): DecodedTransaction[][] {
  let state = seed;
  const next = (below: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state % below;
  };
  const items = [...txs];
  for (let index = 0; index < duplicates * 3 && txs.length > 0; index++) items.push(txs[next(txs.length)] as DecodedTransaction);
  for (let index = items.length - 1; index > 0; index--) {
    const other = next(index + 1);
    [items[index], items[other]] = [items[other] as DecodedTransaction, items[index] as DecodedTransaction];
  }
  const cuts = Array.from({ length: batches - 1 }, () => next(items.length + 1)).sort((a, b) => a - b);
  return [0, ...cuts].map((start, index) => items.slice(start, [...cuts, items.length][index]));
}

interface Writer {
  readonly sessionID: SessionId;
  readonly text: CoPlainTextContent;
  readonly seen: DecodedTransaction[];
  nextTxIndex: number;
}

function edit(command: Extract<Command, { session: number }>, writer: Writer): CoListChange[][] {
  const length = writer.text.length;
  const firstTxId = { sessionID: writer.sessionID, txIndex: writer.nextTxIndex };
  if (command.kind === "before") return textInsertBeforeChanges(writer.text, command.index % (length + 1), command.text, firstTxId);
  if (command.kind === "after" || length === 0) return textInsertAfterChanges(writer.text, command.index % (length + 1), command.text, firstTxId);
  const from = command.index % length;
  return [textDeleteRangeChanges(writer.text, from, Math.min(length, from + command.span))];
}

function simulate(commands: readonly Command[]): { txs: DecodedTransaction[]; writers: Writer[] } {
  const writers: Writer[] = sessions.map((sessionID) => ({ sessionID, text: new CoPlainTextContent(), seen: [], nextTxIndex: 0 }));
  const txs: DecodedTransaction[] = [];
  for (const command of commands) {
    if (command.kind === "sync") {
      const from = writers[command.from] as Writer;
      const to = writers[command.to] as Writer;
      to.text.apply(from.seen);
      to.seen.push(...from.seen);
      continue;
    }
    const writer = writers[command.session] as Writer;
    const made = edit(command, writer).map(
      (changes): DecodedTransaction => ({
        txId: { sessionID: writer.sessionID, txIndex: writer.nextTxIndex++ },
        author: writer.sessionID.slice(0, writer.sessionID.indexOf("_session_")) as SessionOwner,
        madeAt: command.madeAt,
        changes: changes as JsonValue[],
        privacy: "private",
      }),
    );
    writer.text.apply(made);
    writer.seen.push(...made);
    txs.push(...made);
  }
  return { txs, writers };
}

const snapshot = (text: CoPlainTextContent) => ({ text: text.toString(), entries: text.entries() });

test.prop([fc.array(arbCommand, { maxLength: 30 }), arbDelivery, arbDelivery], { numRuns: 200 })(
  "co-plain-text: every delivery order, duplication and batching converges to the from-scratch state",
  (commands, first, second) => {
    const { txs, writers } = simulate(commands);
    const reference = snapshot(materializeCoPlainText(txs));
    for (const delivery of [first, second]) {
      const incremental = new CoPlainTextContent();
      for (const batch of deliver(txs, delivery)) incremental.apply(batch);
      expect(snapshot(incremental)).toEqual(reference);
    }
    for (const writer of writers) {
      writer.text.apply(txs);
      expect(snapshot(writer.text)).toEqual(reference);
    }
  },
);

test.prop([fc.array(arbEdit, { maxLength: 25 })], { numRuns: 200 })(
  "co-plain-text: a single writer with increasing madeAt gets exactly the string edits it asked for",
  (edits) => {
    const writer: Writer = { sessionID: sessions[0] as SessionId, text: new CoPlainTextContent(), seen: [], nextTxIndex: 0 };
    let expected: string[] = [];
    let madeAt = 0;
    for (const command of edits) {
      const length = expected.length;
      const graphemes = splitGraphemes(command.text);
      if (command.kind === "before") expected.splice(command.index % (length + 1), 0, ...graphemes);
      else if (command.kind === "after" || length === 0) {
        const index = command.index % (length + 1);
        expected.splice(index === length ? length : index + 1, 0, ...graphemes);
      } else {
        const from = command.index % length;
        expected = [...expected.slice(0, from), ...expected.slice(Math.min(length, from + command.span))];
      }
      const made = edit(command, writer).map(
        (changes): DecodedTransaction => ({
          txId: { sessionID: writer.sessionID, txIndex: writer.nextTxIndex++ },
          author: "co_zAlice" as SessionOwner,
          madeAt: madeAt++,
          changes: changes as JsonValue[],
          privacy: "private",
        }),
      );
      writer.text.apply(made);
      expect(writer.text.asArray()).toEqual(expected);
    }
    expect(writer.text.toString()).toBe(expected.join(""));
  },
);
