// CoListContent's in-place layout (#showInserted / #hideDeleted / copy-on-write entries) equals a
// from-scratch layout after every batch, also with first-writer-wins losers (hidden anchors) mixed
// in, and an entries() array handed out is never changed afterwards.
import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import {
  type CoListChange,
  CoListContent,
  type DecodedTransaction,
  type JsonValue,
  listAppendChange,
  listDeleteChange,
  listInsertChange,
  listPrependChange,
  materializeCoList,
} from "@cosync/core";
import {
  arbDelivery,
  arbSession,
  arbWriterCommand,
  deliver,
  simulateWriters,
  type WriterSync,
} from "../../packages/core/src/covalues/writers.test-helpers.js";

const arbEdit = fc.record({
  kind: fc.constantFrom("append", "append", "prepend", "insert", "delete"),
  session: arbSession,
  madeAt: fc.integer({ min: 0, max: 30 }),
  index: fc.nat({ max: 50 }),
  value: fc.integer(),
});
type Edit = typeof arbEdit extends fc.Arbitrary<infer T> ? T : never;

function changesFor(command: Edit, list: CoListContent): CoListChange[] {
  const length = list.length;
  const { index, value } = command;
  if (length === 0 || command.kind === "insert") return [listInsertChange(list, index % (length + 1), value)];
  if (command.kind === "append") return [listAppendChange(list, value, index % length)];
  if (command.kind === "prepend") return [listPrependChange(list, value, index % (length + 1))];
  return [listDeleteChange(list, index % length)];
}

test.prop([fc.array(arbWriterCommand(arbEdit), { maxLength: 40 }), fc.array(fc.boolean(), { maxLength: 40 }), arbDelivery, fc.boolean()], {
  numRuns: 400,
})("co-list incremental layout equals from-scratch, with hidden anchors and held entries()", (commands, hiddenFlags, delivery, inOrder) => {
  const { txs } = simulateWriters(
    commands as (Edit | WriterSync)[],
    () => new CoListContent(),
    (command, writer) => [changesFor(command, writer.replica) as JsonValue[]],
    "trusting",
  );
  const marked: DecodedTransaction[] = txs.map((one, index) => (hiddenFlags[index] === true ? { ...one, anchorOnly: true as const } : one));
  const batches = inOrder ? marked.map((one) => [one]) : deliver(marked, delivery);
  const live = new CoListContent();
  const applied: DecodedTransaction[] = [];
  for (const batch of batches) {
    live.apply(batch);
    applied.push(...batch);
    expect(live.entries()).toEqual(materializeCoList(applied).entries());
    expect(live.length).toBe(materializeCoList(applied).length);
  }
});

test("an entries() array handed out right after a layout is not changed by a later in-place edit", () => {
  const session = "co_zAlice_session_zA" as DecodedTransaction["txId"]["sessionID"];
  const tx = (txIndex: number, changes: JsonValue[]): DecodedTransaction => ({
    txId: { sessionID: session, txIndex },
    author: "co_zAlice" as DecodedTransaction["author"],
    madeAt: txIndex,
    changes,
    privacy: "trusting",
  });
  const list = new CoListContent();
  list.apply([tx(0, [{ op: "app", value: "a", after: "start" }])]);
  const before = list.entries(); // first read: laid out now, and handed out
  expect(before.map((entry) => entry.value)).toEqual(["a"]);
  list.apply([tx(1, [{ op: "app", value: "b", after: { sessionID: session, txIndex: 0, changeIdx: 0 } }])]);
  expect(list.asArray()).toEqual(["a", "b"]);
  // The caller's earlier snapshot must still say ["a"] (copy-on-write).
  expect(before.map((entry) => entry.value)).toEqual(["a"]);
});
