import { expect, test } from "vitest";
import type { CoId } from "../ids/co-id.js";
import type { SessionId } from "../ids/session-id.js";
import type { Signature } from "../ids/crypto-strings.js";
import type { SessionPiece } from "../log/session-log.js";
import { CoValueEntry } from "../node/co-value-entry.js";
import type { ErrorNotice } from "../protocol/messages.js";
import { createTestClock } from "../time/clock.js";
import { ParkedContent, type ParkedPiece, type ParkingLimits } from "./parked-content.js";
import type { PeerState } from "./peer-state.js";

const account = "co_zAccount" as CoId;
const other = "co_zOther" as CoId;
const session = `${account}_session_zA` as SessionId;

function piece(after: number, payload = "x"): SessionPiece {
  return { after, newTransactions: [{ privacy: "trusting", madeAt: 1, changes: JSON.stringify([payload]) }], lastSignature: "signature_z1" as Signature };
}

function lot(limits: Partial<ParkingLimits> = {}) {
  const clock = createTestClock();
  const replayed: Array<{ entry: CoId; pieces: readonly ParkedPiece[] }> = [];
  const refused: Array<{ peer: PeerState; error: ErrorNotice["error"] }> = [];
  const requested: CoId[] = [];
  const released: CoId[] = [];
  const parked = new ParkedContent(
    { parkTimeoutMs: 1000, maxParkedPerPeer: 3, maxParkedBytesPerPeer: 10_000, maxParkedBytes: 100_000, ...limits },
    {
      replay: (entry, pieces) => replayed.push({ entry: entry.id, pieces }),
      refuse: (peer, error) => refused.push({ peer, error }),
      request: (_peer, dependency) => requested.push(dependency),
      setTimeout: (callback, ms) => clock.setTimeout(callback, ms),
      released: (dependency) => released.push(dependency),
    },
  );
  return { clock, parked, replayed, refused, requested, released };
}

const peer = (name: string) => ({ id: name }) as unknown as PeerState;

test("parked content: each piece waits alone for its dependency; arrival replays them per value, in order", () => {
  const t = lot();
  const a = new CoValueEntry("co_zA" as CoId);
  const alice = peer("alice");
  expect(t.parked.park(a, alice, session, piece(0), 3, account)).toBeUndefined();
  expect(t.parked.park(a, alice, session, piece(1), 3, account)).toBeUndefined();
  expect(t.requested).toEqual([account]); // asked once per connection and dependency
  expect(t.parked.parkedEnd(a, alice, session)).toBe(2);
  expect(t.parked.parkedEnd(a, peer("bob"), session)).toBeUndefined();
  t.parked.arrived(account);
  expect(t.replayed.map((r) => r.pieces.map((p) => p.piece.after))).toEqual([[0, 1]]);
  expect(a.parked.size).toBe(0);
  expect([t.parked.count, t.parked.bytes]).toEqual([0, 0]);
});

test("parked content: bounded per connection in pieces and bytes, and in total; a refusal says which bound", () => {
  const t = lot({ maxParkedBytes: 1000 });
  const a = new CoValueEntry("co_zA" as CoId);
  const alice = peer("alice");
  for (let i = 0; i < 3; i++) expect(t.parked.park(a, alice, session, piece(i), 3, account)).toBeUndefined();
  expect(t.parked.park(a, alice, session, piece(3), 3, account)).toMatch(/this connection already has 3 pieces/);
  // Another connection has its own count, but all share the total.
  expect(t.parked.park(a, peer("bob"), session, piece(0, "y".repeat(2000)), 3, account)).toMatch(/the server holds its limit of 1000 bytes/);
  expect(t.parked.count).toBe(3);
});

test("parked content: a timeout refuses only that piece; a sender lacking the dependency has its pieces refused at once; a closed peer's are dropped", () => {
  const t = lot();
  const a = new CoValueEntry("co_zA" as CoId);
  const [alice, bob, carol] = [peer("alice"), peer("bob"), peer("carol")];
  t.parked.park(a, alice, session, piece(0), 3, account);
  t.parked.park(a, bob, session, piece(0), 3, other);
  t.parked.park(a, carol, session, piece(0), 3, other);
  t.parked.senderLacks(bob, other);
  expect(t.refused).toEqual([{ peer: bob, error: expect.objectContaining({ code: "UnknownSigner", id: a.id, session, message: expect.stringMatching(/does not have it either/) }) }]);
  t.parked.dropPeer(carol);
  expect(t.released).toEqual([other]); // nothing waits for it any more
  t.clock.advance(1000);
  expect(t.refused.map((r) => r.peer)).toEqual([bob, alice]);
  expect(t.refused[1]?.error.message).toMatch(/did not arrive within 1000 ms/);
  expect(t.released).toEqual([other, account]);
  expect([t.parked.count, t.parked.bytes, a.parked.size]).toEqual([0, 0, 0]);
  t.parked.arrived(account); // late: nothing left to replay
  expect(t.replayed).toEqual([]);
});
