import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { isoTimestamp } from "./iso-time.js";

test.prop([fc.integer({ min: 0, max: 253_402_300_799_999 })], { numRuns: 1000 })("iso time: matches Date#toISOString", (ms) => {
  expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
});
