import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { approximateJsonBytes } from "./message-size.js";

test.prop([fc.oneof(fc.integer({ min: 0, max: 1e15 - 1 }), fc.constantFrom(0, 9, 10, 99, 100, 999_999_999_999_999, 1_700_000_000_000))], {
  numRuns: 2000,
})("approximateJsonBytes counts a non-negative integer's digits exactly", (value) => {
  expect(approximateJsonBytes(value)).toBe(JSON.stringify(value).length);
});

test("approximateJsonBytes: exact for a transaction without escapes; escapes are not counted", () => {
  const tx = { privacy: "private", keyUsed: "key_z1", encryptedChanges: "encrypted_Uabc", madeAt: 1_764_086_400_000 };
  expect(approximateJsonBytes(tx)).toBe(JSON.stringify(tx).length);
  const trusting = { privacy: "trusting", changes: '[{"op":"set"}]', madeAt: 1 };
  expect(approximateJsonBytes(trusting)).toBe(JSON.stringify(trusting).length - 4);
});

test("approximateJsonBytes: nesting deeper than any sync message is not a size (the guard refuses it as malformed)", () => {
  let deep: unknown = "leaf";
  for (let level = 0; level < 40; level++) deep = [deep];
  expect(approximateJsonBytes(deep)).toBe(Number.POSITIVE_INFINITY);
  let shallow: unknown = "leaf";
  for (let level = 0; level < 10; level++) shallow = { next: shallow };
  expect(approximateJsonBytes(shallow)).toBe(JSON.stringify(shallow).length);
});
