import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import type { JsonValue } from "../encoding/canonical-json.js";
import type { SessionId, SessionOwner } from "../ids/session-id.js";
import { CoMapContent, mapDeleteChange, mapSetChange, materializeCoMap } from "./co-map.js";
import type { DecodedTransaction } from "./decoded-transaction.js";

// Three sessions write transactions of sets and deletes on a few keys, with madeAt drawn from a
// tiny range (ties across sessions and madeAt going backwards inside a session are common).

const sessions = ["co_zAlice_session_zA", "co_zBob_session_zB", "co_zCarol_session_zC"] as SessionId[];

const arbOp = fc.record({ key: fc.constantFrom("a", "b", "c"), del: fc.boolean(), value: fc.jsonValue({ maxDepth: 1 }) });
const arbTx = fc.record({ session: fc.integer({ min: 0, max: 2 }), madeAt: fc.integer({ min: 0, max: 4 }), ops: fc.array(arbOp, { minLength: 1, maxLength: 3 }) });

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

function build(specs: ReadonlyArray<typeof arbTx extends fc.Arbitrary<infer T> ? T : never>): DecodedTransaction[] {
  const nextTxIndex = [0, 0, 0];
  return specs.map(({ session, madeAt, ops }) => {
    const sessionID = sessions[session] as SessionId;
    const txIndex = nextTxIndex[session] ?? 0;
    nextTxIndex[session] = txIndex + 1;
    return {
      txId: { sessionID, txIndex },
      author: sessionID.slice(0, sessionID.indexOf("_session_")) as SessionOwner,
      madeAt,
      changes: ops.map((op) => (op.del ? mapDeleteChange(op.key) : mapSetChange(op.key, op.value as JsonValue))),
      privacy: "trusting",
    };
  });
}

const snapshot = (map: CoMapContent) => ({
  json: map.toJSON(),
  keys: map.keys(),
  histories: map.editedKeys().map((key) => map.history(key)),
});

test.prop([fc.array(arbTx, { maxLength: 30 }), arbDelivery, arbDelivery], { numRuns: 300 })(
  "co-map: every delivery order, duplication and batching converges to the from-scratch state",
  (specs, first, second) => {
    const txs = build(specs);
    const reference = snapshot(materializeCoMap(txs));
    for (const delivery of [first, second]) {
      const incremental = new CoMapContent();
      for (const batch of deliver(txs, delivery)) incremental.apply(batch);
      expect(snapshot(incremental)).toEqual(reference);
    }
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
