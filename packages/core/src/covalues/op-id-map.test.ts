import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { OpIdMap } from "./op-id-map.js";

const place = fc.tuple(fc.constantFrom("s1", "s2", "s3"), fc.oneof(fc.nat(5), fc.constant(2 ** 31)), fc.nat(3));
const action = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), place, value: fc.nat() }),
  fc.record({ kind: fc.constant("take" as const), place }),
);

test.prop([fc.array(action, { maxLength: 60 })], { numRuns: 300 })("OpIdMap behaves as a Map keyed by the op's place", (actions) => {
  const map = new OpIdMap<number>();
  const model = new Map<string, number>();
  for (const a of actions) {
    const [session, txIndex, changeIdx] = a.place;
    const key = `${session}:${txIndex}:${changeIdx}`;
    if (a.kind === "set") {
      map.set(session, txIndex, changeIdx, a.value);
      model.set(key, a.value);
    } else {
      expect(map.take(session, txIndex, changeIdx)).toBe(model.get(key));
      model.delete(key);
    }
    expect(map.size).toBe(model.size);
    expect(map.get(session, txIndex, changeIdx)).toBe(model.get(key));
    expect(map.has("s1", 0, 0)).toBe(model.has("s1:0:0"));
  }
  expect([...map.values()].sort()).toEqual([...model.values()].sort());
});
