import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import type { Priority } from "../covalues/header.js";
import { PriorityQueue } from "./priority-queue.js";

const arbPriority = fc.constantFrom<Priority>(0, 3, 6);
const arbOp = fc.oneof(
  fc.record({ op: fc.constant("push" as const), priority: arbPriority }),
  fc.record({ op: fc.constant("shift" as const) }),
);

test("priority queue: empty queue shifts undefined and has size 0", () => {
  const queue = new PriorityQueue<string>();
  expect(queue.size).toBe(0);
  expect(queue.peek()).toBeUndefined();
  expect(queue.shift()).toBeUndefined();
});

test("priority queue: 0 leaves before 3 before 6, FIFO within a priority", () => {
  const queue = new PriorityQueue<string>();
  for (const [item, priority] of [["a6", 6], ["b3", 3], ["c0", 0], ["d6", 6], ["e0", 0], ["f3", 3]] as const) {
    queue.push(item, priority);
  }
  const out = [];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) out.push(item);
  expect(out).toEqual(["c0", "e0", "b3", "f3", "a6", "d6"]);
});

test("priority queue: clear drops everything and reports how many", () => {
  const queue = new PriorityQueue<number>();
  for (let i = 0; i < 5; i++) queue.push(i, i % 2 === 0 ? 0 : 6);
  expect(queue.clear()).toBe(5);
  expect(queue.size).toBe(0);
  expect(queue.shift()).toBeUndefined();
});

test("priority queue: a priority outside 0/3/6 is a bug and throws", () => {
  const queue = new PriorityQueue<number>();
  expect(() => queue.push(1, 1 as Priority)).toThrow(/priority: expected 0, 3 or 6/);
});

test("priority queue: stays correct across lane compaction (long-lived FIFO)", () => {
  const queue = new PriorityQueue<number>();
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 100; i++) queue.push(next++, 3);
    for (let i = 0; i < 90; i++) expect(queue.shift()).toBe(expected++);
  }
  expect(queue.size).toBe(500);
  while (queue.size > 0) expect(queue.shift()).toBe(expected++);
});

test.prop([fc.array(arbOp, { maxLength: 300 })])(
  "priority queue: any sequence of pushes and shifts matches a sorted-list model",
  (ops) => {
    const queue = new PriorityQueue<number>();
    const model: Array<{ readonly item: number; readonly priority: Priority }> = [];
    ops.forEach((step, item) => {
      if (step.op === "push") {
        queue.push(item, step.priority);
        model.push({ item, priority: step.priority });
      } else {
        const best = model.reduce<number>((at, entry, index) => (at < 0 || entry.priority < (model[at]?.priority ?? 7) ? index : at), -1);
        const expected = best < 0 ? undefined : model.splice(best, 1)[0]?.item;
        expect(queue.peek()).toBe(expected);
        expect(queue.shift()).toBe(expected);
      }
      expect(queue.size).toBe(model.length);
    });
  },
);
