import { createTestClock } from "@cosync/core";
import { expect, test } from "vitest";
import { approximateJsonBytes } from "./message-size.js";
import { RateBudget } from "./account-limits.js";
import { TokenBucket } from "./token-bucket.js";

test("token bucket: starts full, spends, refuses when empty, refills at its rate up to the burst", () => {
  const clock = createTestClock();
  const bucket = new TokenBucket({ perSecond: 2, burst: 3 }, clock);
  expect([bucket.take(1), bucket.take(1), bucket.take(1), bucket.take(1)]).toEqual([true, true, true, false]);
  clock.advance(500);
  expect([bucket.take(1), bucket.take(1)]).toEqual([true, false]);
  clock.advance(60_000);
  expect(bucket.tokens).toBe(3);
});

test("token bucket: a cost above the burst passes on a full bucket and leaves a debt", () => {
  const clock = createTestClock();
  const bucket = new TokenBucket({ perSecond: 10 }, clock);
  expect(bucket.take(25)).toBe(true);
  expect(bucket.tokens).toBe(-15);
  expect(bucket.take(1)).toBe(false);
  clock.advance(1600);
  expect(bucket.take(1)).toBe(true);
});

test("token bucket: refunds never exceed the burst", () => {
  const clock = createTestClock();
  const bucket = new TokenBucket({ perSecond: 1, burst: 2 }, clock);
  bucket.take(1);
  bucket.refund(5);
  expect(bucket.tokens).toBe(2);
});

test("token bucket: invalid limits are refused naming the field", () => {
  const clock = createTestClock();
  expect(() => new TokenBucket({ perSecond: 0 }, clock)).toThrow("limit.perSecond: expected a positive number, got 0");
  expect(() => new TokenBucket({ perSecond: 1, burst: -1 }, clock)).toThrow("limit.burst: expected a positive number, got -1");
});

test("rate budget: spends messages and bytes together or not at all", () => {
  const clock = createTestClock();
  const budget = new RateBudget({ messages: { perSecond: 10 }, bytes: { perSecond: 100 } }, clock);
  expect(budget.take(1, 90)).toBe("ok");
  expect(budget.take(1, 50)).toBe("bytes");
  expect(budget.take(1, 10)).toBe("ok"); // the refused message spent nothing
});

test("message size: close to the compact JSON length for sync messages", () => {
  const message = {
    action: "content",
    id: "co_zabc",
    priority: 3,
    new: { s_session_z1: { after: 12, newTransactions: [{ privacy: "trusting", madeAt: 1_700_000_000_000, changes: '["x"]' }], lastSignature: "signature_z1" } },
  };
  const exact = JSON.stringify(message).length;
  // Escapes inside strings are not counted; everything else is.
  expect(approximateJsonBytes(message)).toBe(exact - 2);
  expect(approximateJsonBytes([1, "a", null, true, { b: false }])).toBe(JSON.stringify([1, "a", null, true, { b: false }]).length);
});
