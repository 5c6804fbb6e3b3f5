import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import type { JsonValue } from "../encoding/canonical-json.js";
import type { SessionId } from "../ids/session-id.js";
import {
  type CoListChange,
  CoListContent,
  materializeCoList,
} from "./co-list.js";
import {
  listAppendChange,
  listAppendChanges,
  listDeleteChange,
  listInsertChange,
  listPrependChange,
  listReplaceChanges,
} from "./co-list-changes.js";
import {
  arbDelivery,
  deliver,
  arbMadeAt,
  arbSession,
  arbWriterCommand,
  expectEveryDeliveryConverges,
  simulateWriters,
  tx,
  type WriterSync,
} from "./writers.test-helpers.js";

// Three writers edit their own replica from what they have seen, with madeAt drawn from a tiny
// range (so ties across sessions and madeAt going backwards are common), and sync pairwise now
// and then. Their logs are then delivered in other orders, duplicated and in batches.

const arbEdit = fc.record({
  kind: fc.constantFrom("append", "appendMany", "prepend", "insert", "delete", "replace"),
  session: arbSession,
  madeAt: arbMadeAt,
  index: fc.nat({ max: 50 }),
  value: fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.constant(null)),
});
type Edit = typeof arbEdit extends fc.Arbitrary<infer T> ? T : never;
const arbCommand = arbWriterCommand(arbEdit);

function changesFor(command: Edit, list: CoListContent): CoListChange[] {
  const length = list.length;
  const { index, value } = command;
  if (length === 0 || command.kind === "insert") return [listInsertChange(list, index % (length + 1), value)];
  switch (command.kind) {
    case "append":
      return [listAppendChange(list, value, index % length)];
    case "appendMany":
      return listAppendChanges(list, [value, `${value}+1`, `${value}+2`], index % length);
    case "prepend":
      return [listPrependChange(list, value, index % (length + 1))];
    case "delete":
      return [listDeleteChange(list, index % length)];
    default:
      return listReplaceChanges(list, index % length, value);
  }
}

/** Runs the commands; returns every transaction made and the writers' replicas. */
function simulate(commands: readonly (Edit | WriterSync)[]) {
  return simulateWriters(commands, () => new CoListContent(), (command, writer) => [changesFor(command, writer.replica) as JsonValue[]], "trusting");
}

const snapshot = (list: CoListContent) => ({ entries: list.entries(), deletions: list.deletions() });

test.prop([fc.array(arbCommand, { maxLength: 40 }), arbDelivery, arbDelivery], { numRuns: 250 })(
  "co-list: every delivery order, duplication and batching converges to the from-scratch state",
  (commands, first, second) => {
    const { txs, writers } = simulate(commands);
    const reference = expectEveryDeliveryConverges(txs, [first, second], { fromScratch: materializeCoList, empty: () => new CoListContent(), snapshot });
    for (const writer of writers) {
      writer.replica.apply(txs);
      expect(snapshot(writer.replica)).toEqual(reference);
    }
  },
);

test.prop([fc.array(arbCommand, { maxLength: 30 }), fc.integer({ min: -1, max: 5 })], { numRuns: 200 })(
  "co-list: atTime(t) equals materialising only the transactions made at or before t",
  (commands, time) => {
    const { txs } = simulate(commands);
    const list = materializeCoList(txs);
    expect(snapshot(list.atTime(time))).toEqual(snapshot(materializeCoList(txs.filter((tx) => tx.madeAt <= time))));
  },
);

test.prop([fc.array(arbCommand, { maxLength: 30 })], { numRuns: 200 })(
  "co-list: on a writer's own replica, a builder's insert lands at the requested index when its madeAt is the latest",
  (commands) => {
    const txs = simulate(commands).txs;
    const before = materializeCoList(txs).asArray();
    for (let index = 0; index <= before.length; index++) {
      const view = materializeCoList(txs);
      view.apply([tx("co_zZed_session_zZ" as SessionId, 0, 100, [listInsertChange(view, index, "NEW")] as JsonValue[], "trusting")]);
      const expected = [...before];
      expected.splice(index, 0, "NEW");
      expect(view.asArray()).toEqual(expected);
    }
  },
);

// The layout is kept up to date in place for plain edits (appends after a visible item, deletes)
// and rebuilt otherwise; read after every batch, it must always equal a from-scratch layout.
const arbLiveEdit = fc.record({
  kind: fc.constantFrom("append", "appendMany", "insert", "delete", "replace"),
  session: arbSession,
  madeAt: fc.constant(0),
  index: fc.nat({ max: 50 }),
  value: fc.oneof(fc.string({ maxLength: 3 }), fc.integer()),
});

test.prop([fc.array(fc.oneof(arbCommand, arbLiveEdit, arbLiveEdit), { maxLength: 50 }), arbDelivery, fc.boolean()], { numRuns: 300 })(
  "co-list: read after every batch (in order or delivered any way), the layout equals the from-scratch one",
  (commands, delivery, inOrder) => {
    // Live edits get the latest madeAt (typing), so most of them take the in-place path.
    let clock = 10;
    const timed = commands.map((command) => ("kind" in command && command.kind !== "sync" && command.madeAt === 0 ? { ...command, madeAt: clock++ } : command));
    const { txs } = simulate(timed as typeof commands);
    const batches = inOrder ? txs.map((one) => [one]) : deliver(txs, delivery);
    const live = new CoListContent();
    const applied: typeof txs = [];
    for (const batch of batches) {
      live.apply(batch);
      applied.push(...batch);
      expect(live.entries()).toEqual(materializeCoList(applied).entries());
      expect(live.length).toBe(live.asArray().length);
    }
  },
);
