import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import type { JsonValue } from "../encoding/canonical-json.js";
import type { SessionId } from "../ids/session-id.js";
import { BinaryStreamContent, binaryStreamItems, materializeBinaryStream } from "./binary-stream.js";
import type { DecodedTransaction } from "./decoded-transaction.js";
import { applyDelivered, arbDelivery, arbMadeAt, expectEveryDeliveryConverges, tx, writerSessions } from "./writers.test-helpers.js";

// Up to three sessions each upload a file (one transaction per item, as jazz-tools does), with
// madeAt values that collide and go backwards; some uploads are cut short.

const arbUpload = fc.record({
  bytes: fc.uint8Array({ maxLength: 64 }),
  chunkSize: fc.integer({ min: 1, max: 16 }),
  keep: fc.integer({ min: 0, max: 40 }),
  madeAts: fc.array(arbMadeAt, { minLength: 40, maxLength: 40 }),
});

function build(uploads: ReadonlyArray<typeof arbUpload extends fc.Arbitrary<infer T> ? T : never>): DecodedTransaction[] {
  return uploads.flatMap((upload, session) =>
    binaryStreamItems(upload.bytes, { mimeType: `type/${session}` }, { chunkSize: upload.chunkSize })
      .slice(0, upload.keep)
      .map((item, txIndex) => tx(writerSessions[session] as SessionId, txIndex, upload.madeAts[txIndex] ?? 0, [item as JsonValue], "private")),
  );
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
    expectEveryDeliveryConverges(build(uploads), [first, second], { fromScratch: materializeBinaryStream, empty: () => new BinaryStreamContent(), snapshot });
  },
);

test.prop([arbUpload, arbDelivery], { numRuns: 200 })(
  "binary stream: a complete single-session upload reassembles to its bytes whatever the madeAt values",
  (upload, delivery) => {
    const txs = build([{ ...upload, keep: 40 }]);
    const stream = applyDelivered(new BinaryStreamContent(), txs, delivery);
    expect(stream.isComplete).toBe(true);
    expect(stream.toBytes()).toEqual(upload.bytes);
    expect(stream.info()).toEqual({ mimeType: "type/0", totalSizeBytes: upload.bytes.length });
  },
);
