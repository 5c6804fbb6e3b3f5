import { expect, test } from "vitest";
import type { JsonValue } from "../encoding/canonical-json.js";
import {
  BINARY_CHUNK_SIZE,
  BinaryStreamContent,
  type BinaryStreamInfo,
  binaryChunkItem,
  binaryEndItem,
  binaryStartItem,
  binaryStreamItems,
  materializeBinaryStream,
} from "./binary-stream.js";
import type { DecodedTransaction } from "./decoded-transaction.js";
import { sessionB as other, sessionA as session, tx } from "./writers.test-helpers.js";

/** One transaction per item, like jazz-tools, all with the same madeAt (a fast upload). */
function upload(items: readonly JsonValue[], sessionID = session, madeAt = 1000): DecodedTransaction[] {
  return items.map((item, index) => tx(sessionID, index, madeAt, [item]));
}

function pseudoRandomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = 0x12345678;
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

function firstDifference(actual: Uint8Array | undefined, expected: Uint8Array): number {
  if (actual === undefined) return 0;
  const length = Math.min(actual.length, expected.length);
  for (let index = 0; index < length; index++) if (actual[index] !== expected[index]) return index;
  return actual.length === expected.length ? -1 : length;
}

test("binary stream: a 10 MB buffer round-trips byte-exactly through items, shuffled transactions and reassembly", () => {
  const file = pseudoRandomBytes(10 * 1024 * 1024 + 3);
  const items = binaryStreamItems(file, { mimeType: "video/mp4", fileName: "clip.mp4" });
  expect(items).toHaveLength(Math.ceil(file.length / BINARY_CHUNK_SIZE) + 2);
  expect(items[0]).toEqual({ type: "start", mimeType: "video/mp4", fileName: "clip.mp4", totalSizeBytes: file.length });
  expect(items.at(-1)).toEqual({ type: "end" });
  const txs = upload(items);
  const reversed = [...txs].reverse();
  const stream = materializeBinaryStream(reversed);
  expect(stream.isComplete).toBe(true);
  expect(stream.progress()).toBe(1);
  expect(stream.bytesReceived).toBe(file.length);
  expect(stream.info()).toEqual({ mimeType: "video/mp4", fileName: "clip.mp4", totalSizeBytes: file.length });
  expect(firstDifference(stream.toBytes(), file)).toBe(-1);
});

test("binary stream: chunks are padded base64url after binary_U, 100 KiB each (jazz-tools' size)", () => {
  expect(BINARY_CHUNK_SIZE).toBe(102_400);
  expect(binaryChunkItem(new Uint8Array([0xfb, 0xff]))).toEqual({ type: "chunk", chunk: "binary_U-_8=" });
  const items = binaryStreamItems(new Uint8Array(250_000), { mimeType: "a/b" });
  const chunkLengths = items.slice(1, -1).map((item) => (item.type === "chunk" ? item.chunk.length : 0));
  // 102 400 bytes → 136 536 padded base64 chars; the last 45 200 bytes → 60 268.
  expect(chunkLengths).toEqual([8 + 136_536, 8 + 136_536, 8 + 60_268]);
  expect(binaryStreamItems(new Uint8Array(0), { mimeType: "a/b" })).toEqual([
    { type: "start", mimeType: "a/b", totalSizeBytes: 0 },
    { type: "end" },
  ]);
});

test("binary stream: progress and unfinished reads follow the chunks received so far", () => {
  const file = pseudoRandomBytes(1000);
  const txs = upload(binaryStreamItems(file, { mimeType: "x/y" }, { chunkSize: 300 }));
  const stream = new BinaryStreamContent();
  expect(stream.info()).toBeUndefined();
  expect(stream.progress()).toBeUndefined();
  expect(stream.toBytes({ allowUnfinished: true })).toBeUndefined();
  stream.apply(txs.slice(0, 3));
  expect(stream.isComplete).toBe(false);
  expect(stream.bytesReceived).toBe(600);
  expect(stream.progress()).toBeCloseTo(0.6);
  expect(stream.toBytes()).toBeUndefined();
  expect(firstDifference(stream.toBytes({ allowUnfinished: true }), file.subarray(0, 600))).toBe(-1);
  expect(stream.chunks().map((chunk) => chunk.length)).toEqual([300, 300]);
  stream.apply(txs);
  expect(stream.isComplete).toBe(true);
  expect(firstDifference(stream.toBytes(), file)).toBe(-1);
  expect(stream.transactionCount).toBe(txs.length);
});

test("binary stream: items read in txIndex order even when madeAt goes backwards", () => {
  const txs = [
    tx(session, 0, 500, [binaryStartItem({ mimeType: "t/t" })]),
    tx(session, 1, 400, [binaryChunkItem(new Uint8Array([1]))]),
    tx(session, 2, 300, [binaryChunkItem(new Uint8Array([2])), binaryChunkItem(new Uint8Array([3]))]),
    tx(session, 3, 200, [binaryEndItem()]),
  ];
  expect(materializeBinaryStream(txs.reverse()).toBytes()).toEqual(new Uint8Array([1, 2, 3]));
});

test("binary stream: like a cojson replica loading it, the last start wins and chunks after end still count", () => {
  const stream = materializeBinaryStream(
    upload([
      binaryStartItem({ mimeType: "first/type" }),
      binaryChunkItem(new Uint8Array([1])),
      binaryEndItem(),
      binaryStartItem({ mimeType: "second/type", totalSizeBytes: 2 }),
      binaryChunkItem(new Uint8Array([2])),
    ]),
  );
  expect(stream.info()).toEqual({ mimeType: "second/type", totalSizeBytes: 2 });
  expect(stream.toBytes()).toEqual(new Uint8Array([1, 2]));
});

test("binary stream: sessions are read by their earliest madeAt; malformed items are skipped", () => {
  const stream = materializeBinaryStream([
    tx(other, 0, 200, [binaryChunkItem(new Uint8Array([9])), binaryEndItem()]),
    tx(session, 0, 100, [binaryStartItem({ mimeType: "m/m" }), binaryChunkItem(new Uint8Array([1]))]),
    tx(session, 1, 300, [
      { type: "chunk", chunk: "binary_U!!!!" },
      { type: "chunk", chunk: "nope" },
      { type: "start" },
      { type: "start", mimeType: "m/m", fileName: 3 },
      { type: "mystery" },
      null,
      { type: "chunk", chunk: "binary_UAg" },
    ]),
  ]);
  // The unpadded "binary_UAg" decodes leniently, as cojson's decoder does.
  expect(stream.toBytes()).toEqual(new Uint8Array([1, 2, 9]));
  expect(stream.info()).toEqual({ mimeType: "m/m" });
});

test("binary stream: re-delivered transactions do not duplicate chunks", () => {
  const txs = upload(binaryStreamItems(new Uint8Array([1, 2, 3]), { mimeType: "a/b" }, { chunkSize: 1 }));
  const stream = new BinaryStreamContent();
  expect(stream.apply([...txs, ...txs])).toBe(txs.length);
  expect(stream.apply(txs)).toBe(0);
  expect(stream.toBytes()).toEqual(new Uint8Array([1, 2, 3]));
});

test("binary stream: builders reject bad input, naming the argument", () => {
  expect(() => binaryChunkItem([1, 2] as unknown as Uint8Array)).toThrow(/^bytes: expected a Uint8Array/);
  expect(() => binaryStartItem({ mimeType: 5 } as unknown as BinaryStreamInfo)).toThrow(/^info\.mimeType: expected a string/);
  expect(() => binaryStartItem({ mimeType: "a", fileName: null } as unknown as BinaryStreamInfo)).toThrow(/^info\.fileName/);
  expect(() => binaryStartItem({ mimeType: "a", totalSizeBytes: -1 })).toThrow(new RangeError("info.totalSizeBytes: expected a non-negative integer, got number -1"));
  expect(() => binaryStartItem(null as unknown as BinaryStreamInfo)).toThrow(/^info: expected an object/);
  expect(() => binaryStreamItems(new Uint8Array(1), { mimeType: "a" }, { chunkSize: 0 })).toThrow(/^options\.chunkSize/);
  expect(() => binaryStreamItems("bytes" as unknown as Uint8Array, { mimeType: "a" })).toThrow(TypeError);
});
