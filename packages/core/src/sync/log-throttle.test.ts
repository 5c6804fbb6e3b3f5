import { expect, test } from "vitest";
import { LogThrottle } from "./log-throttle.js";

test("log throttle: at most perSecond lines a second; the next line written says how many were dropped", () => {
  const throttle = new LogThrottle(3);
  const verdicts = Array.from({ length: 10 }, () => throttle.admit(1000));
  expect(verdicts).toEqual([0, 0, 0, undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
  expect(throttle.admit(1999)).toBeUndefined();
  expect(throttle.admit(2000)).toBe(8);
  expect(throttle.admit(2001)).toBe(0);
});
