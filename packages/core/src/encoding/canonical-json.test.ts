import { fc, test } from "@fast-check/vitest";
import { cojsonInternals } from "cojson";
import { expect } from "vitest";
import { canonicalJson } from "./canonical-json.js";

const cojsonStableStringify = cojsonInternals.stableStringify as (value: unknown) => string | undefined;

test("canonical json: sorts keys and skips undefined members", () => {
  expect(canonicalJson({ b: 1, a: [undefined, 2], c: undefined, "é": "x" })).toBe('{"a":[null,2],"b":1,"é":"x"}');
});

test("canonical json: non-finite numbers become null, -0 becomes 0, big numbers keep JS notation", () => {
  expect(canonicalJson([Number.NaN, Number.POSITIVE_INFINITY, -0, 1e21, 0.1])).toBe("[null,null,0,1e+21,0.1]");
});

test("canonical json: encrypted_U and binary_U strings are quoted verbatim", () => {
  expect(canonicalJson("encrypted_Uabc=")).toBe('"encrypted_Uabc="');
  expect(canonicalJson({ x: "binary_U-_==" })).toBe('{"x":"binary_U-_=="}');
});

test("canonical json: honours toJSON like cojson", () => {
  const value = { when: { toJSON: () => "2026-01-01" }, n: 1 };
  expect(canonicalJson(value)).toBe(cojsonStableStringify(value));
});

test.prop([fc.anything({ withBoxedValues: false, withMap: false, withSet: false, withTypedArray: false, withSparseArray: true, withNullPrototype: true, withBigInt: false })], {
  numRuns: 500,
})("canonical json: byte-identical to cojson's stableStringify for any value", (value) => {
  expect(canonicalJson(value)).toBe(cojsonStableStringify(value));
});

test.prop([fc.jsonValue()], { numRuns: 500 })("canonical json: parses back to an equal value", (value) => {
  const text = canonicalJson(value);
  expect(text).toBeDefined();
  expect(JSON.parse(text as string)).toEqual(JSON.parse(JSON.stringify(value)));
});
