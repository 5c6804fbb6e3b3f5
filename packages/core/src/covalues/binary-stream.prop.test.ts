import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import type { JsonValue } from "../encoding/canonical-json.js";
import type { SessionId, SessionOwner } from "../ids/session-id.js";
import { BinaryStreamContent, binaryStreamItems, materializeBinaryStream } from "./binary-stream.js";
import type { DecodedTransaction } from "./decoded-transaction.js";

// Up to three sessions each upload a file (one transaction per item, as jazz-tools does), with
// madeAt values that collide and go backwards; some uploads are cut short.

const sessions = ["co_zAlice_session_zA", "co_zBob_session_zB", "co_zCarol_session_zC"] as SessionId[];

const arbUpload = fc.record({
  bytes: fc.uint8Array({ maxLength: 64 }),
  chunkSize: fc.integer({ min: 1, max: 16 }),
  keep: fc.integer({ min: 0, max: 40 }),
  madeAts: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 40, maxLength: 40 }),
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

function build(uploads: ReadonlyArray<typeof arbUpload extends fc.Arbitrary<infer T> ? T : never>): DecodedTransaction[] {
  return uploads.flatMap((upload, session) => {
    const sessionID = sessions[session] as SessionId;
    return binaryStreamItems(upload.bytes, { mimeType: `type/${session}` }, { chunkSize: upload.chunkSize })
      .slice(0, upload.keep)
      .map((item, txIndex) => ({
        txId: { sessionID, txIndex },
        author: sessionID.slice(0, sessionID.indexOf("_session_")) as SessionOwner,
        madeAt: upload.madeAts[txIndex] ?? 0,
        changes: [item as JsonValue],
        privacy: "private" as const,
      }));
  });
}

const snapshot = (stream: BinaryStreamContent) => ({
  info: stream.info(),
  complete: stream.isComplete,
  progress: stream.progress(),
  bytes: stream.toBytes({ allowUnfinished: true }),
});

test.prop([fc.array(arbUpload, { minLength: 1, maxLength: 3 }), arbDelivery, arbDelivery], { numRuns: 250 })(
  "binary stream: every delivery order, duplication and batching converges to the from-scratch state",
  (uploads, first, second) => {
    const txs = build(uploads);
    const reference = snapshot(materializeBinaryStream(txs));
    for (const delivery of [first, second]) {
      const incremental = new BinaryStreamContent();
      for (const batch of deliver(txs, delivery)) incremental.apply(batch);
      expect(snapshot(incremental)).toEqual(reference);
    }
  },
);

test.prop([arbUpload, arbDelivery], { numRuns: 200 })(
  "binary stream: a complete single-session upload reassembles to its bytes whatever the madeAt values",
  (upload, delivery) => {
    const txs = build([{ ...upload, keep: 40 }]);
    const stream = new BinaryStreamContent();
    for (const batch of deliver(txs, delivery)) stream.apply(batch);
    expect(stream.isComplete).toBe(true);
    expect(stream.toBytes()).toEqual(upload.bytes);
    expect(stream.info()).toEqual({ mimeType: "type/0", totalSizeBytes: upload.bytes.length });
  },
);
