import { expect, test } from "vitest";
import type { JsonValue } from "../encoding/canonical-json.js";
import type { SessionId, SessionOwner } from "../ids/session-id.js";
import { CoMapContent, mapAssignChanges, mapDeleteChange, mapSetChange, materializeCoMap } from "./co-map.js";
import type { DecodedTransaction } from "./decoded-transaction.js";

const alice = "co_zAlice" as SessionOwner;
const bob = "co_zBob" as SessionOwner;
const sessionA = `${alice}_session_zA1` as SessionId;
const sessionB = `${bob}_session_zB1` as SessionId;

function tx(sessionID: SessionId, txIndex: number, madeAt: number, changes: JsonValue[]): DecodedTransaction {
  const author = sessionID.slice(0, sessionID.indexOf("_session_")) as SessionOwner;
  return { txId: { sessionID, txIndex }, author, madeAt, changes, privacy: "trusting" };
}

test("co-map: the later madeAt wins, whatever the session", () => {
  const map = materializeCoMap([
    tx(sessionB, 0, 200, [{ op: "set", key: "k", value: "b" }]),
    tx(sessionA, 0, 100, [{ op: "set", key: "k", value: "a" }]),
  ]);
  expect(map.get("k")).toBe("b");
  expect(map.lastEdit("k")).toMatchObject({ author: bob, madeAt: 200, op: "set", value: "b" });
});

test("co-map: equal madeAt across sessions is broken by session id, in any delivery order", () => {
  const a = tx(sessionA, 0, 100, [{ op: "set", key: "k", value: "a" }]);
  const b = tx(sessionB, 0, 100, [{ op: "set", key: "k", value: "b" }]);
  expect(materializeCoMap([a, b]).get("k")).toBe("b");
  expect(materializeCoMap([b, a]).get("k")).toBe("b");
});

test("co-map: equal madeAt in one session is ordered by txIndex", () => {
  const map = materializeCoMap([
    tx(sessionA, 1, 100, [{ op: "set", key: "k", value: "second" }]),
    tx(sessionA, 0, 100, [{ op: "set", key: "k", value: "first" }]),
  ]);
  expect(map.get("k")).toBe("second");
});

test("co-map: madeAt beats txIndex even inside one session (cojson sorts by madeAt first)", () => {
  const map = materializeCoMap([
    tx(sessionA, 0, 300, [{ op: "set", key: "k", value: "tx0" }]),
    tx(sessionA, 1, 100, [{ op: "set", key: "k", value: "tx1" }]),
  ]);
  expect(map.get("k")).toBe("tx0");
});

test("co-map: the last change of one transaction wins for a repeated key", () => {
  const map = materializeCoMap([
    tx(sessionA, 0, 100, [
      { op: "set", key: "k", value: 1 },
      { op: "set", key: "k", value: 2 },
    ]),
  ]);
  expect(map.get("k")).toBe(2);
  expect(map.history("k").map((edit) => edit.changeIdx)).toEqual([0, 1]);
});

test("co-map: a delete hides the key until a later set", () => {
  const map = materializeCoMap([
    tx(sessionA, 0, 100, [{ op: "set", key: "k", value: 1 }]),
    tx(sessionB, 0, 200, [{ op: "del", key: "k" }]),
  ]);
  expect(map.get("k")).toBeUndefined();
  expect(map.has("k")).toBe(false);
  expect(map.keys()).toEqual([]);
  expect(map.toJSON()).toEqual({});
  expect(map.editedKeys()).toEqual(["k"]);
  expect(map.lastEdit("k")).toMatchObject({ op: "del", value: undefined, author: bob });
  map.apply([tx(sessionA, 1, 300, [{ op: "set", key: "k", value: null }])]);
  expect(map.has("k")).toBe(true);
  expect(map.toJSON()).toEqual({ k: null });
});

test("co-map: history lists every edit oldest first with author, madeAt, txId and op", () => {
  const map = materializeCoMap([
    tx(sessionB, 0, 200, [{ op: "del", key: "k" }]),
    tx(sessionA, 0, 100, [{ op: "set", key: "k", value: { nested: [1] } }]),
  ]);
  expect(map.history("k")).toEqual([
    { key: "k", op: "set", value: { nested: [1] }, author: alice, madeAt: 100, txId: { sessionID: sessionA, txIndex: 0 }, changeIdx: 0 },
    { key: "k", op: "del", value: undefined, author: bob, madeAt: 200, txId: { sessionID: sessionB, txIndex: 0 }, changeIdx: 0 },
  ]);
  expect(map.history("missing")).toEqual([]);
});

test("co-map: atTime keeps only transactions made at or before the time", () => {
  const map = materializeCoMap([
    tx(sessionA, 0, 100, [{ op: "set", key: "k", value: 1 }]),
    tx(sessionA, 1, 200, [{ op: "set", key: "k", value: 2 }, { op: "set", key: "other", value: true }]),
    tx(sessionB, 0, 300, [{ op: "del", key: "k" }]),
  ]);
  expect(map.atTime(50).toJSON()).toEqual({});
  expect(map.atTime(100).toJSON()).toEqual({ k: 1 });
  expect(map.atTime(250).toJSON()).toEqual({ k: 2, other: true });
  expect(map.atTime(300).toJSON()).toEqual({ other: true });
  expect(map.toJSON()).toEqual({ other: true });
});

test("co-map: keys list in first-edit order and CoValue ids are plain strings", () => {
  const map = materializeCoMap([
    tx(sessionA, 1, 200, [{ op: "set", key: "a", value: "co_zSomeValue" }]),
    tx(sessionA, 0, 100, [{ op: "set", key: "z", value: 0 }]),
  ]);
  expect(map.keys()).toEqual(["z", "a"]);
  expect(map.entries()).toEqual([
    ["z", 0],
    ["a", "co_zSomeValue"],
  ]);
});

test("co-map: re-delivered transactions are ignored", () => {
  const first = tx(sessionA, 0, 100, [{ op: "set", key: "k", value: 1 }]);
  const map = new CoMapContent();
  expect(map.apply([first, first])).toBe(1);
  expect(map.apply([first])).toBe(0);
  expect(map.history("k")).toHaveLength(1);
  expect(map.transactionCount).toBe(1);
});

test("co-map: malformed changes are skipped", () => {
  const map = materializeCoMap([
    tx(sessionA, 0, 100, [null, 5, "x", [], { op: "set", key: 1, value: 1 }, { op: "set", key: "nov" }, { op: "zap", key: "k" }, { op: "set", key: "ok", value: 1 }]),
  ]);
  expect(map.toJSON()).toEqual({ ok: 1 });
  expect(map.history("ok")[0]?.changeIdx).toBe(7);
});

test("co-map: a __proto__ key is data, not the prototype", () => {
  const map = materializeCoMap([tx(sessionA, 0, 100, [{ op: "set", key: "__proto__", value: { polluted: true } }])]);
  const json = map.toJSON();
  expect(Object.getPrototypeOf(json)).toBe(Object.prototype);
  expect(Object.keys(json)).toEqual(["__proto__"]);
  expect(map.get("__proto__")).toEqual({ polluted: true });
});

test("co-map: builders produce cojson's change objects", () => {
  expect(mapSetChange("k", { a: [1, "x", null] })).toEqual({ op: "set", key: "k", value: { a: [1, "x", null] } });
  expect(mapDeleteChange("k")).toEqual({ op: "del", key: "k" });
  expect(mapAssignChanges({ a: 1, b: "co_zX" })).toEqual([
    { op: "set", key: "a", value: 1 },
    { op: "set", key: "b", value: "co_zX" },
  ]);
});

test("co-map: builders reject non-string keys and non-JSON values, naming the argument", () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  expect(() => mapSetChange(1 as unknown as string, 1)).toThrow(/^key: expected a string/);
  expect(() => mapDeleteChange(undefined as unknown as string)).toThrow(TypeError);
  expect(() => mapSetChange("\uD800", 1)).toThrow(/key: string has an unpaired UTF-16 surrogate/);
  expect(() => mapSetChange("k", undefined as unknown as JsonValue)).toThrow(/^value: undefined is not JSON/);
  expect(() => mapSetChange("k", (() => 1) as unknown as JsonValue)).toThrow(/^value: function is not JSON/);
  expect(() => mapSetChange("k", Number.NaN)).toThrow(/^value: expected a finite number, got NaN/);
  expect(() => mapSetChange("k", { deep: [Number.POSITIVE_INFINITY] })).toThrow(/^value\.deep\[0\]: expected a finite number/);
  expect(() => mapSetChange("k", cyclic as JsonValue)).toThrow(/^value\.self: cyclic value is not JSON/);
  expect(() => mapSetChange("k", new Date(0) as unknown as JsonValue)).toThrow(/^value: expected a plain object, got an instance of Date/);
  expect(() => mapSetChange("k", { a: undefined })).toThrow(/^value\.a: undefined is not JSON/);
  expect(() => mapSetChange("k", 10n as unknown as JsonValue)).toThrow(/bigint is not JSON/);
  expect(() => mapAssignChanges({ ok: 1, bad: Number.NaN })).toThrow(/^entries\.bad: expected a finite number/);
  expect(() => mapAssignChanges(null as unknown as Record<string, JsonValue>)).toThrow(/^entries:/);
});

test("co-map: shared sub-objects are fine (not mistaken for cycles)", () => {
  const shared = { x: 1 };
  expect(mapSetChange("k", { a: shared, b: shared, c: [shared, shared] })).toBeTruthy();
});
