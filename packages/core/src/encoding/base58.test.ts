import { fc, test } from "@fast-check/vitest";
import { base58 } from "@scure/base";
import { expect } from "vitest";
import { base58Decode, base58DecodedLength, base58Encode, tryBase58Decode } from "./base58.js";

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

// Any text over the alphabet (leading "1"s included), plus a stray character now and then.
const base58Texts = fc
  .tuple(
    fc.nat({ max: 4 }),
    fc.string({ unit: fc.constantFrom(..."123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0OIl+/é"), maxLength: 120 }),
  )
  .map(([ones, rest]) => "1".repeat(ones) + rest);

test.prop([base58Texts], { numRuns: 3000 })("base58Decode is byte-identical to @scure/base and throws where it throws", (text) => {
  let expected: Uint8Array | undefined;
  try {
    expected = base58.decode(text);
  } catch {
    expected = undefined;
  }
  if (expected === undefined) {
    expect(() => base58Decode(text)).toThrow();
    expect(tryBase58Decode(text)).toBeUndefined();
    expect(base58DecodedLength(text)).toBeUndefined();
  } else {
    expect(base58Decode(text)).toEqual(expected);
    if (text !== "") expect(tryBase58Decode(text)).toEqual(expected);
    if (text !== "") expect(base58DecodedLength(text)).toBe(expected.length);
  }
});

// The coders share scratch buffers: a long input grows them, and shorter ones after it must not
// see its leftovers.
test("base58: a long input in between changes nothing for short ones", () => {
  const short = Uint8Array.from([0, 7, 255, 1]);
  const before = base58Encode(short);
  base58Decode(base58Encode(new Uint8Array(400).fill(201)));
  expect(base58Encode(short)).toBe(before);
  expect(base58Decode(before)).toEqual(short);
  expect(base58DecodedLength(before)).toBe(4);
});

test("base58Decode: edge cases", () => {
  expect(base58Decode("")).toEqual(new Uint8Array(0));
  expect(tryBase58Decode("")).toBeUndefined();
  expect(base58Decode("111")).toEqual(new Uint8Array(3));
  expect(base58Decode("112")).toEqual(Uint8Array.from([0, 0, 1]));
  expect(base58Decode("21")).toEqual(Uint8Array.from([58]));
  expect(base58Decode("5Q")).toEqual(Uint8Array.from([255]));
  expect(base58Decode("5R")).toEqual(Uint8Array.from([1, 0]));
  expect(tryBase58Decode("0")).toBeUndefined();
  expect(tryBase58Decode("abc\u{1F600}")).toBeUndefined();
});
