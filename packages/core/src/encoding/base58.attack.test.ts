import { base58 } from "@scure/base";
import { expect, test } from "vitest";
import { collectGarbage } from "../collect-garbage.test-helpers.js";
import { base58Decode, base58DecodedLength, base58Encode, tryBase58Decode } from "./base58.js";

// The coders build their output in shared scratch buffers (base58.ts). Before that, a long input
// was merely slow; these hold what the rewrite changed for long inputs.

/** base58 by BigInt arithmetic: slow, obviously right, and independent of both coders. */
function base58ByBigInt(bytes: Uint8Array): string {
  const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  let value = 0n;
  for (const byte of bytes) value = value * 256n + BigInt(byte);
  let digits = "";
  while (value > 0n) {
    digits = alphabet[Number(value % 58n)] + digits;
    value /= 58n;
  }
  return "1".repeat(zeros) + digits;
}

test("base58Encode of a long input still works (String.fromCharCode.apply threw RangeError past ~125k digits)", () => {
  expect(base58Encode(new Uint8Array(200_000))).toBe("1".repeat(200_000));
  const tail = new Uint8Array(150_000);
  tail[tail.length - 1] = 5;
  expect(base58Encode(tail)).toBe(`${"1".repeat(149_999)}6`);
  // More significant digits than one String.fromCharCode call takes (8,192): built in chunks.
  const random = Uint8Array.from({ length: 7_000 }, (_, index) => (index * 131 + 7) % 256);
  const text = base58Encode(random);
  expect(text.length).toBeGreaterThan(8_192);
  expect(text).toBe(base58ByBigInt(random));
  expect(base58Decode(text)).toEqual(random);
  // and short ones after it are unaffected
  const short = Uint8Array.from([0, 7, 255, 1]);
  expect(base58Encode(short)).toBe(base58.encode(short));
  expect(base58Decode(base58.encode(short))).toEqual(short);
});

test("one huge input does not leave scratch buffers of its size behind (the decoder sizes them before checking characters)", async () => {
  await collectGarbage();
  const before = process.memoryUsage().arrayBuffers;
  // Refused at its first character, after limbs for 4M digits (12 MB) were allocated.
  expect(tryBase58Decode(`!${"z".repeat(4_000_000)}`)).toBeUndefined();
  expect(base58DecodedLength(`!${"z".repeat(4_000_000)}`)).toBeUndefined();
  await collectGarbage();
  expect((process.memoryUsage().arrayBuffers - before) / 2 ** 20).toBeLessThan(2);
  // and the coders still agree with scure afterwards
  const bytes = Uint8Array.from({ length: 64 }, (_, index) => (index * 37) % 256);
  expect(base58Encode(bytes)).toBe(base58.encode(bytes));
  expect(base58Decode(base58.encode(bytes))).toEqual(bytes);
});
