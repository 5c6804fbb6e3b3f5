import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
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
import { splitGraphemes } from "./graphemes.js";
import {
  arbDelivery,
  arbMadeAt,
  arbSession,
  arbWriterCommand,
  expectEveryDeliveryConverges,
  newWriter,
  simulateWriters,
  tx,
  type Writer,
  type WriterSync,
  writerSessions,
} from "./writers.test-helpers.js";

// Three writers edit their replica of a text with emoji, ZWJ sequences, flags and combining
// marks, madeAt drawn from a tiny range, syncing pairwise now and then.

const pieces = ["a", "é", "e\u0301", "👨‍👩‍👧‍👦", "🇫🇷", "🏳️‍🌈", "👍🏽", "क्षि", "\r\n", " ", "x"];
const long = pieces.join("").repeat(Math.ceil((TEXT_CHUNK_GRAPHEMES + 20) / pieces.length));

const arbEdit = fc.record({
  kind: fc.constantFrom("before", "after", "delete"),
  session: arbSession,
  madeAt: arbMadeAt,
  index: fc.nat({ max: 60 }),
  span: fc.integer({ min: 0, max: 4 }),
  text: fc.oneof({ arbitrary: fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 4 }).map((parts) => parts.join("")), weight: 20 }, { arbitrary: fc.constant(long), weight: 1 }),
});
type Edit = typeof arbEdit extends fc.Arbitrary<infer T> ? T : never;
const arbCommand = arbWriterCommand(arbEdit);

function edit(command: Edit, writer: Writer<CoPlainTextContent>): CoListChange[][] {
  const length = writer.replica.length;
  const firstTxId = { sessionID: writer.sessionID, txIndex: writer.nextTxIndex };
  if (command.kind === "before") return textInsertBeforeChanges(writer.replica, command.index % (length + 1), command.text, firstTxId);
  if (command.kind === "after" || length === 0) return textInsertAfterChanges(writer.replica, command.index % (length + 1), command.text, firstTxId);
  const from = command.index % length;
  return [textDeleteRangeChanges(writer.replica, from, Math.min(length, from + command.span))];
}

function simulate(commands: readonly (Edit | WriterSync)[]) {
  return simulateWriters(commands, () => new CoPlainTextContent(), (command, writer) => edit(command, writer) as JsonValue[][], "private");
}

const snapshot = (text: CoPlainTextContent) => ({ text: text.toString(), entries: text.entries() });

test.prop([fc.array(arbCommand, { maxLength: 30 }), arbDelivery, arbDelivery], { numRuns: 200 })(
  "co-plain-text: every delivery order, duplication and batching converges to the from-scratch state",
  (commands, first, second) => {
    const { txs, writers } = simulate(commands);
    const reference = expectEveryDeliveryConverges(txs, [first, second], { fromScratch: materializeCoPlainText, empty: () => new CoPlainTextContent(), snapshot });
    for (const writer of writers) {
      writer.replica.apply(txs);
      expect(snapshot(writer.replica)).toEqual(reference);
    }
  },
);

test.prop([fc.array(arbEdit, { maxLength: 25 })], { numRuns: 200 })(
  "co-plain-text: a single writer with increasing madeAt gets exactly the string edits it asked for",
  (edits) => {
    const writer = newWriter(writerSessions[0] as SessionId, new CoPlainTextContent());
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
      const made = edit(command, writer).map((changes) => tx(writer.sessionID, writer.nextTxIndex++, madeAt++, changes as JsonValue[], "private"));
      writer.replica.apply(made);
      expect(writer.replica.asArray()).toEqual(expected);
    }
    expect(writer.replica.toString()).toBe(expected.join(""));
  },
);
