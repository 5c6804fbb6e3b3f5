import { fc, test } from "@fast-check/vitest";
import { base64url } from "@scure/base";
import { expect } from "vitest";
import { base64urlDecode, base64urlEncode, tryBase64urlDecode } from "./base64url.js";

test.prop([fc.uint8Array({ maxLength: 300 })], { numRuns: 1000 })("base64url: encodes exactly as @scure/base and decodes back", (bytes) => {
  const text = base64urlEncode(bytes);
  expect(text).toBe(base64url.encode(bytes));
  expect(base64urlDecode(text)).toEqual(bytes);
});

const arbBase64ish = fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .é"), maxLength: 24 });

test.prop([arbBase64ish], { numRuns: 3000 })("base64url: accepts and refuses exactly what @scure/base does", (text) => {
  let expected: Uint8Array | undefined;
  try {
    expected = base64url.decode(text);
  } catch {
    expected = undefined;
  }
  expect(tryBase64urlDecode(text)).toEqual(expected);
});

test("base64url: refusals say what is wrong", () => {
  expect(() => base64urlDecode("abc")).toThrow(/multiple of 4/);
  expect(() => base64urlDecode("ab+c")).toThrow(/invalid character "\+"/);
  expect(() => base64urlDecode("AB==")).toThrow(/non-zero bits/);
  expect(base64urlDecode("")).toEqual(new Uint8Array());
});
