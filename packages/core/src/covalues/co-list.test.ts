import { expect, test } from "vitest";
import type { JsonValue } from "../encoding/canonical-json.js";
import type { SessionId } from "../ids/session-id.js";
import {
  type CoListChange,
  CoListContent,
  materializeCoList,
  type OpId,
} from "./co-list.js";
import {
  listAppendChange,
  listAppendChanges,
  listDeleteChange,
  listInsertChange,
  listPrependChange,
  listReplaceChanges,
} from "./co-list-changes.js";
import { sessionA, sessionB, tx } from "./writers.test-helpers.js";

const op = (sessionID: SessionId, txIndex: number, changeIdx = 0): OpId => ({ sessionID, txIndex, changeIdx });
const app = (value: JsonValue, after: OpId | "start"): JsonValue => ({ op: "app", value, after });
const pre = (value: JsonValue, before: OpId | "end"): JsonValue => ({ op: "pre", value, before });
const del = (insertion: OpId): JsonValue => ({ op: "del", insertion });

/** Applies builder output as the next transaction of `sessionID`, like a writer would. */
function commit(list: CoListContent, sessionID: SessionId, txIndex: number, madeAt: number, changes: CoListChange | CoListChange[]) {
  list.apply([tx(sessionID, txIndex, madeAt, Array.isArray(changes) ? changes : [changes])]);
}

test("co-list: items appended one after the other read in order", () => {
  const list = materializeCoList([
    tx(sessionA, 0, 100, [app("a", "start")]),
    tx(sessionA, 1, 101, [app("b", op(sessionA, 0))]),
    tx(sessionA, 2, 102, [app("c", op(sessionA, 1))]),
  ]);
  expect(list.asArray()).toEqual(["a", "b", "c"]);
  expect(list.toJSON()).toEqual(["a", "b", "c"]);
  expect(list.length).toBe(3);
  expect(list.get(1)).toBe("b");
  expect(list.entries()[2]).toEqual({ value: "c", opId: op(sessionA, 2), madeAt: 102, author: "co_zAlice" });
});

test("co-list: concurrent inserts after one item put the latest op right after it", () => {
  const base = tx(sessionA, 0, 100, [app("x", "start")]);
  const fromA = tx(sessionA, 1, 200, [app("a", op(sessionA, 0))]);
  const fromB = tx(sessionB, 0, 300, [app("b", op(sessionA, 0))]);
  expect(materializeCoList([base, fromA, fromB]).asArray()).toEqual(["x", "b", "a"]);
  // Equal madeAt: the larger session id is the later op.
  const tieB = tx(sessionB, 0, 200, [app("b", op(sessionA, 0))]);
  expect(materializeCoList([tieB, fromA, base]).asArray()).toEqual(["x", "b", "a"]);
});

test("co-list: concurrent prepends before one item put the latest op first", () => {
  const list = materializeCoList([
    tx(sessionA, 0, 100, [app("x", "start")]),
    tx(sessionA, 1, 200, [pre("a", op(sessionA, 0))]),
    tx(sessionB, 0, 300, [pre("b", op(sessionA, 0))]),
  ]);
  expect(list.asArray()).toEqual(["b", "a", "x"]);
});

test("co-list: start items read in op order, then end items in op order", () => {
  const list = materializeCoList([
    tx(sessionB, 0, 400, [pre("e2", "end")]),
    tx(sessionA, 0, 300, [pre("e1", "end")]),
    tx(sessionB, 1, 200, [app("s2", "start")]),
    tx(sessionA, 1, 100, [app("s1", "start")]),
  ]);
  expect(list.asArray()).toEqual(["s1", "s2", "e1", "e2"]);
});

test("co-list: a successor's own successors come before the anchor's older successors", () => {
  const list = materializeCoList([
    tx(sessionA, 0, 100, [app("x", "start")]),
    tx(sessionA, 1, 200, [app("old", op(sessionA, 0))]),
    tx(sessionB, 0, 300, [app("new", op(sessionA, 0))]),
    tx(sessionB, 1, 400, [app("new-child", op(sessionB, 0)), pre("new-pre", op(sessionB, 0))]),
  ]);
  expect(list.asArray()).toEqual(["x", "new-pre", "new", "new-child", "old"]);
});

test("co-list: a delete hides its insertion, even when it arrives first, and deleted items keep anchoring", () => {
  const list = new CoListContent();
  list.apply([tx(sessionB, 0, 300, [del(op(sessionA, 0))])]);
  list.apply([tx(sessionA, 0, 100, [app("x", "start")]), tx(sessionA, 1, 200, [app("y", op(sessionA, 0))])]);
  expect(list.asArray()).toEqual(["y"]);
  list.apply([tx(sessionA, 2, 400, [del(op(sessionA, 0))])]);
  expect(list.asArray()).toEqual(["y"]);
  expect(list.deletions().map((deletion) => deletion.madeAt)).toEqual([300, 400]);
});

test("co-list: an insertion anchored on a later op, a missing op or itself stays invisible with its dependants", () => {
  const list = materializeCoList([
    tx(sessionA, 0, 100, [app("later-anchor", op(sessionB, 0))]),
    tx(sessionB, 0, 200, [app("x", "start")]),
    tx(sessionA, 1, 300, [app("on-invisible", op(sessionA, 0))]),
    tx(sessionA, 2, 400, [app("orphan", op(sessionB, 9))]),
    tx(sessionA, 3, 500, [app("self", op(sessionA, 3))]),
    tx(sessionA, 4, 600, [app("next-change", op(sessionA, 4, 1)), app("anchor", op(sessionB, 0))]),
  ]);
  expect(list.asArray()).toEqual(["x", "anchor"]);
});

test("co-list: an anchor arriving after its dependant links it when it is earlier in op order", () => {
  const list = new CoListContent();
  list.apply([tx(sessionB, 0, 200, [app("child", op(sessionA, 0))])]);
  expect(list.asArray()).toEqual([]);
  list.apply([tx(sessionA, 0, 100, [app("x", "start")])]);
  expect(list.asArray()).toEqual(["x", "child"]);
});

test("co-list: duplicates are ignored and malformed changes skipped", () => {
  const first = tx(sessionA, 0, 100, [app("x", "start"), { op: "app", after: "start" }, { op: "pre", value: 1, before: "start" }, 7]);
  const list = new CoListContent();
  expect(list.apply([first, first])).toBe(1);
  expect(list.apply([first])).toBe(0);
  list.apply([tx(sessionA, 1, 101, [{ op: "del", insertion: { sessionID: sessionA, txIndex: -1, changeIdx: 0 } }, del(op(sessionA, 0, 1))])]);
  expect(list.asArray()).toEqual(["x"]);
});

test("co-list: atTime lays out only what existed then", () => {
  const list = materializeCoList([
    tx(sessionA, 0, 100, [app("a", "start")]),
    tx(sessionA, 1, 200, [app("b", op(sessionA, 0))]),
    tx(sessionB, 0, 300, [del(op(sessionA, 0))]),
  ]);
  expect(list.atTime(99).asArray()).toEqual([]);
  expect(list.atTime(100).asArray()).toEqual(["a"]);
  expect(list.atTime(299).asArray()).toEqual(["a", "b"]);
  expect(list.atTime(300).asArray()).toEqual(["b"]);
  expect(list.atTime(300)).toBeInstanceOf(CoListContent);
});

test("co-list: a chain of 200 000 appends lays out without recursion", () => {
  const txs = [tx(sessionA, 0, 0, [app(0, "start")])];
  for (let index = 1; index < 200_000; index++) txs.push(tx(sessionA, index, index, [app(index, op(sessionA, index - 1))]));
  const list = materializeCoList(txs);
  expect(list.length).toBe(200_000);
  expect(list.get(199_999)).toBe(199_999);
});

test("co-list: builders insert where asked", () => {
  const list = new CoListContent();
  commit(list, sessionA, 0, 100, listAppendChanges(list, ["a", "b", "c"]));
  expect(list.asArray()).toEqual(["a", "b", "c"]);
  commit(list, sessionA, 1, 101, listAppendChanges(list, ["x", "y"], 0));
  expect(list.asArray()).toEqual(["a", "x", "y", "b", "c"]);
  commit(list, sessionA, 2, 102, listAppendChange(list, "end"));
  commit(list, sessionA, 3, 103, listInsertChange(list, 0, "first"));
  commit(list, sessionA, 4, 104, listInsertChange(list, 3, "third"));
  commit(list, sessionA, 5, 105, listInsertChange(list, list.length, "last"));
  expect(list.asArray()).toEqual(["first", "a", "x", "third", "y", "b", "c", "end", "last"]);
  commit(list, sessionA, 6, 106, listDeleteChange(list, 1));
  commit(list, sessionA, 7, 107, listReplaceChanges(list, 0, "FIRST"));
  expect(list.asArray()).toEqual(["FIRST", "x", "third", "y", "b", "c", "end", "last"]);
  commit(list, sessionA, 8, 108, listInsertChange(list, 0, "zero"));
  expect(list.asArray()).toEqual(["zero", "FIRST", "x", "third", "y", "b", "c", "end", "last"]);
});

test("co-list: insert at 0 and append on an empty list, and prepend's cojson placement", () => {
  const list = new CoListContent();
  expect(listInsertChange(list, 0, "a")).toEqual({ op: "app", value: "a", after: "start" });
  expect(listAppendChange(list, "a")).toEqual({ op: "app", value: "a", after: "start" });
  expect(listPrependChange(list, "a")).toEqual({ op: "pre", value: "a", before: "end" });
  commit(list, sessionA, 0, 100, listPrependChange(list, "y"));
  commit(list, sessionA, 1, 101, listPrependChange(list, "p1", 0));
  expect(list.asArray()).toEqual(["p1", "y"]);
  // cojson's prepend anchors on the item at the index; an item with earlier prepends gets the new one in front of them.
  commit(list, sessionA, 2, 102, listPrependChange(list, "p2", 1));
  expect(list.asArray()).toEqual(["p2", "p1", "y"]);
  commit(list, sessionA, 3, 103, listPrependChange(list, "tail", list.length));
  expect(list.asArray()).toEqual(["p2", "p1", "y", "tail"]);
});

test("co-list: builders reject bad indexes and values, naming the argument", () => {
  const empty = new CoListContent();
  expect(() => listAppendChange(empty, "v", 0)).toThrow(new RangeError("afterIndex: 0 is out of range (the list is empty)"));
  expect(() => listDeleteChange(empty, 0)).toThrow(RangeError);
  const list = materializeCoList([tx(sessionA, 0, 100, [app("a", "start"), app("b", "start")])]);
  expect(() => listAppendChange(list, "v", 2)).toThrow(new RangeError("afterIndex: 2 is out of range [0, 1]"));
  expect(() => listAppendChange(list, "v", -1)).toThrow(RangeError);
  expect(() => listInsertChange(list, 3, "v")).toThrow(new RangeError("index: 3 is out of range [0, 2]"));
  expect(() => listPrependChange(list, "v", 3)).toThrow(/^beforeIndex: 3 is out of range/);
  expect(() => listDeleteChange(list, 1.5)).toThrow(new TypeError("index: expected an integer, got number 1.5"));
  expect(() => listReplaceChanges(list, 2, "v")).toThrow(RangeError);
  expect(() => listAppendChange(list, undefined as unknown as JsonValue)).toThrow(/^values\[0\]: undefined is not JSON/);
  expect(() => listInsertChange(list, 0, Number.NaN)).toThrow(/^value: expected a finite number/);
  expect(() => listAppendChanges(list, ["ok", (() => 0) as unknown as JsonValue])).toThrow(/^values\[1\]: function/);
});

test("co-list: a first-writer-wins loser's items are hidden anchors; what hangs on them shows and its deletes count", () => {
  const loser = { ...tx(sessionB, 0, 105, [app("bob-init", op(sessionA, 0)), del(op(sessionA, 1))]), anchorOnly: true as const };
  const txs = [
    tx(sessionA, 0, 100, [app("alice-init", "start")]),
    tx(sessionA, 1, 101, [app("alice-2", op(sessionA, 0))]),
    loser,
    tx(sessionB, 1, 106, [app("bob-update", op(sessionB, 0))]),
  ];
  expect(materializeCoList(txs).asArray()).toEqual(["alice-init", "bob-update"]);
  // The same, applied one by one with a read after each (the layout kept in place).
  const live = new CoListContent();
  for (const one of txs) {
    live.apply([one]);
    expect(live.asArray()).toEqual(materializeCoList(txs.slice(0, txs.indexOf(one) + 1)).asArray());
  }
});
