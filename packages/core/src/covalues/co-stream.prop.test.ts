import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import type { JsonValue } from "../encoding/canonical-json.js";
import type { SessionId, SessionOwner } from "../ids/session-id.js";
import { CoStreamContent, materializeCoStream } from "./co-stream.js";
import type { DecodedTransaction } from "./decoded-transaction.js";

// Three sessions (two of them one account's) push items with colliding madeAt values.

const sessions = ["co_zAlice_session_zA1", "co_zAlice_session_zA2", "co_zBob_session_zB"] as SessionId[];

const arbTx = fc.record({
  session: fc.integer({ min: 0, max: 2 }),
  madeAt: fc.integer({ min: 0, max: 4 }),
  items: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
});

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
  return specs.map(({ session, madeAt, items }) => {
    const sessionID = sessions[session] as SessionId;
    const txIndex = nextTxIndex[session] ?? 0;
    nextTxIndex[session] = txIndex + 1;
    return {
      txId: { sessionID, txIndex },
      author: sessionID.slice(0, sessionID.indexOf("_session_")) as SessionOwner,
      madeAt,
      changes: items as JsonValue[],
      privacy: "trusting",
    };
  });
}

const snapshot = (stream: CoStreamContent) => ({
  json: stream.toJSON(),
  items: stream.items(),
  latest: stream.authors().map((author) => stream.lastItemBy(author)),
});

test.prop([fc.array(arbTx, { maxLength: 30 }), arbDelivery, arbDelivery], { numRuns: 300 })(
  "co-stream: every delivery order, duplication and batching converges to the from-scratch state",
  (specs, first, second) => {
    const txs = build(specs);
    const reference = snapshot(materializeCoStream(txs));
    for (const delivery of [first, second]) {
      const incremental = new CoStreamContent();
      for (const batch of deliver(txs, delivery)) incremental.apply(batch);
      expect(snapshot(incremental)).toEqual(reference);
    }
  },
);

test.prop([fc.array(arbTx, { maxLength: 30 })], { numRuns: 200 })(
  "co-stream: each feed holds exactly its session's items, sorted by madeAt then txIndex then change index",
  (specs) => {
    const txs = build(specs);
    const stream = materializeCoStream(txs);
    for (const sessionID of sessions) {
      const expected = txs
        .filter((tx) => tx.txId.sessionID === sessionID)
        .sort((a, b) => a.madeAt - b.madeAt || a.txId.txIndex - b.txId.txIndex)
        .flatMap((tx) => tx.changes);
      expect(stream.itemsIn(sessionID).map((item) => item.value)).toEqual(expected);
    }
  },
);
