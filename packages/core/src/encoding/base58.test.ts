import { fc, test } from "@fast-check/vitest";
import { base58 } from "@scure/base";
import { expect } from "vitest";
import { base58Decode, base58Encode } from "./base58.js";

// Leading zero bytes become leading "1"s; mix them in often, and cover the sizes ids use.
const bytesWithZeros = fc
  .tuple(fc.nat({ max: 4 }), fc.uint8Array({ maxLength: 80 }))
  .map(([zeros, rest]) => Uint8Array.from([...new Array<number>(zeros).fill(0), ...rest]));

test.prop([fc.oneof(bytesWithZeros, fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 64, maxLength: 64 }))], {
  numRuns: 2000,
})("base58Encode is byte-identical to @scure/base and decodes back", (bytes) => {
  const text = base58Encode(bytes);
  expect(text).toBe(base58.encode(bytes));
  expect(base58Decode(text)).toEqual(bytes);
});

test("base58Encode: edge cases", () => {
  expect(base58Encode(new Uint8Array(0))).toBe("");
  expect(base58Encode(new Uint8Array(3))).toBe("111");
  expect(base58Encode(new Uint8Array(64).fill(255))).toBe(base58.encode(new Uint8Array(64).fill(255)));
  expect(base58Encode(Uint8Array.from([0, 0, 1]))).toBe("112");
  expect(base58Encode(Uint8Array.from([57]))).toBe("z");
  expect(base58Encode(Uint8Array.from([58]))).toBe("21");
});
