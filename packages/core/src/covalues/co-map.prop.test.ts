import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import type { JsonValue } from "../encoding/canonical-json.js";
import { CoMapContent, mapDeleteChange, mapSetChange, materializeCoMap } from "./co-map.js";
import { arbDelivery, arbMadeAt, arbSession, expectEveryDeliveryConverges, transactionsOf, writerSessions } from "./writers.test-helpers.js";

// Three sessions write transactions of sets and deletes on a few keys, with madeAt drawn from a
// tiny range (ties across sessions and madeAt going backwards inside a session are common).

const arbOp = fc.record({ key: fc.constantFrom("a", "b", "c"), del: fc.boolean(), value: fc.jsonValue({ maxDepth: 1 }) });
const arbTx = fc.record({ session: arbSession, madeAt: arbMadeAt, ops: fc.array(arbOp, { minLength: 1, maxLength: 3 }) });

function build(specs: ReadonlyArray<typeof arbTx extends fc.Arbitrary<infer T> ? T : never>) {
  return transactionsOf(
    writerSessions,
    specs,
    ({ ops }) => ops.map((op) => (op.del ? mapDeleteChange(op.key) : mapSetChange(op.key, op.value as JsonValue))),
    "trusting",
  );
}

const snapshot = (map: CoMapContent) => ({
  json: map.toJSON(),
  keys: map.keys(),
  histories: map.editedKeys().map((key) => map.history(key)),
});

test.prop([fc.array(arbTx, { maxLength: 30 }), arbDelivery, arbDelivery], { numRuns: 300 })(
  "co-map: every delivery order, duplication and batching converges to the from-scratch state",
  (specs, first, second) => {
    expectEveryDeliveryConverges(build(specs), [first, second], { fromScratch: materializeCoMap, empty: () => new CoMapContent(), snapshot });
  },
);

test.prop([fc.array(arbTx, { maxLength: 30 })], { numRuns: 200 })(
  "co-map: a key's value is that of its edit latest in (madeAt, session id, txIndex, change index) order",
  (specs) => {
    const txs = build(specs);
    const map = materializeCoMap(txs);
    const edits = txs.flatMap((tx) => tx.changes.map((change, changeIdx) => ({ tx, change: change as { op: string; key: string; value?: JsonValue }, changeIdx })));
    edits.sort((a, b) =>
      a.tx.madeAt !== b.tx.madeAt
        ? a.tx.madeAt - b.tx.madeAt
        : a.tx.txId.sessionID !== b.tx.txId.sessionID
          ? a.tx.txId.sessionID < b.tx.txId.sessionID ? -1 : 1
          : a.tx.txId.txIndex - b.tx.txId.txIndex || a.changeIdx - b.changeIdx,
    );
    const expected: Record<string, JsonValue> = {};
    for (const { change } of edits) {
      if (change.op === "del") delete expected[change.key];
      else expected[change.key] = change.value as JsonValue;
    }
    expect(map.toJSON()).toEqual(expected);
    for (const time of [0, 1, 2, 3, 4]) {
      expect(map.atTime(time).toJSON()).toEqual(materializeCoMap(txs.filter((tx) => tx.madeAt <= time)).toJSON());
    }
  },
);
