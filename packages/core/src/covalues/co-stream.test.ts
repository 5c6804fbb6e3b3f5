import { expect, test } from "vitest";
import type { JsonValue } from "../encoding/canonical-json.js";
import type { SessionId, SessionOwner } from "../ids/session-id.js";
import { CoStreamContent, materializeCoStream, streamPushChange } from "./co-stream.js";
import type { DecodedTransaction } from "./decoded-transaction.js";

const alice = "co_zAlice" as SessionOwner;
const bob = "co_zBob" as SessionOwner;
const aliceLaptop = `${alice}_session_zLaptop` as SessionId;
const alicePhone = `${alice}_session_zPhone` as SessionId;
const bobSession = `${bob}_session_zB1` as SessionId;

function tx(sessionID: SessionId, txIndex: number, madeAt: number, changes: readonly JsonValue[]): DecodedTransaction {
  const author = sessionID.slice(0, sessionID.indexOf("_session_")) as SessionOwner;
  return { txId: { sessionID, txIndex }, author, madeAt, changes, privacy: "trusting" };
}

test("co-stream: each change is an item of its session's feed, ordered by madeAt then txIndex", () => {
  const stream = materializeCoStream([
    tx(aliceLaptop, 2, 300, ["late"]),
    tx(aliceLaptop, 0, 100, ["first", { second: true }]),
    tx(aliceLaptop, 1, 100, ["third"]),
    tx(bobSession, 0, 200, [null]),
  ]);
  expect(stream.toJSON()).toEqual({ [aliceLaptop]: ["first", { second: true }, "third", "late"], [bobSession]: [null] });
  expect(stream.sessions()).toEqual([aliceLaptop, bobSession]);
  expect(stream.itemsIn(aliceLaptop)[1]).toEqual({
    value: { second: true },
    txId: { sessionID: aliceLaptop, txIndex: 0 },
    changeIdx: 1,
    madeAt: 100,
    author: alice,
  });
  expect(stream.lastItemIn(bobSession)?.value).toBeNull();
  expect(stream.lastItemIn("co_zNobody_session_zX" as SessionId)).toBeUndefined();
  expect(stream.itemsIn("co_zNobody_session_zX" as SessionId)).toEqual([]);
});

test("co-stream: items(), itemsBy and lastItemBy look across sessions in transaction order", () => {
  const stream = materializeCoStream([
    tx(alicePhone, 0, 250, ["phone"]),
    tx(aliceLaptop, 0, 100, ["laptop-1"]),
    tx(aliceLaptop, 1, 300, ["laptop-2"]),
    tx(bobSession, 0, 200, ["bob"]),
  ]);
  expect(stream.items().map((item) => item.value)).toEqual(["laptop-1", "bob", "phone", "laptop-2"]);
  expect(stream.itemsBy(alice).map((item) => item.value)).toEqual(["laptop-1", "phone", "laptop-2"]);
  expect(stream.lastItemBy(alice)?.value).toBe("laptop-2");
  expect(stream.lastItemBy(bob)?.value).toBe("bob");
  expect(stream.lastItemBy("co_zNobody" as SessionOwner)).toBeUndefined();
  expect(stream.authors()).toEqual([alice, bob]);
});

test("co-stream: lastItemBy breaks an equal madeAt by session id", () => {
  const stream = materializeCoStream([tx(alicePhone, 0, 100, ["phone"]), tx(aliceLaptop, 0, 100, ["laptop"])]);
  expect(stream.lastItemBy(alice)?.value).toBe("phone");
});

test("co-stream: re-delivery is ignored, atTime keeps earlier items, empty transactions add nothing", () => {
  const first = tx(aliceLaptop, 0, 100, ["a"]);
  const stream = new CoStreamContent();
  expect(stream.apply([first, first, tx(bobSession, 0, 50, [])])).toBe(2);
  expect(stream.apply([first, tx(aliceLaptop, 1, 200, ["b"])])).toBe(1);
  expect(stream.toJSON()).toEqual({ [aliceLaptop]: ["a", "b"] });
  expect(stream.atTime(150).toJSON()).toEqual({ [aliceLaptop]: ["a"] });
  expect(stream.transactionCount).toBe(3);
});

test("co-stream: the push change is the item itself, and must be JSON", () => {
  expect(streamPushChange({ reaction: "👍" })).toEqual({ reaction: "👍" });
  expect(() => streamPushChange(undefined as unknown as JsonValue)).toThrow(/^value: undefined is not JSON/);
  expect(() => streamPushChange([1, Number.NEGATIVE_INFINITY])).toThrow(/^value\[1\]: expected a finite number/);
});
