import { expect, test } from "vitest";
import type { CoId } from "../ids/co-id.js";
import type { SessionId } from "../ids/session-id.js";
import { advanceCheckpoint, type LoadSegment, packStoredPieces, planLoadSegments, unseenTransactions } from "./session-pieces.js";
import { CHECKPOINT_BYTES } from "./storage-adapter.js";

const id = "co_zTest" as CoId;
const a = "co_zA_session_zA" as SessionId;
const b = "co_zB_session_zB" as SessionId;
const sig = (n: number) => `signature_z${n}` as const;

test("unseenTransactions: drops the stored prefix, reports a gap past the stored count", () => {
  const piece = { after: 2, transactions: ["t2", "t3", "t4"], lastSignature: sig(5) };
  expect(unseenTransactions(piece, 2)).toEqual(["t2", "t3", "t4"]);
  expect(unseenTransactions(piece, 4)).toEqual(["t4"]);
  expect(unseenTransactions(piece, 9)).toEqual([]);
  expect(unseenTransactions(piece, 1)).toBe("Gap");
});

test("advanceCheckpoint: records a checkpoint only once more than CHECKPOINT_BYTES accumulated", () => {
  expect(advanceCheckpoint(0, CHECKPOINT_BYTES)).toEqual({ checkpoint: false, sizeSinceCheckpoint: CHECKPOINT_BYTES });
  expect(advanceCheckpoint(CHECKPOINT_BYTES, 1)).toEqual({ checkpoint: true, sizeSinceCheckpoint: 0 });
});

test("planLoadSegments: cuts at checkpoints past `since` and at the last signature", () => {
  const extents = [
    { sessionId: a, count: 10, lastSignature: sig(10), checkpoints: [{ idx: 3, signature: sig(4) }, { idx: 6, signature: sig(7) }, { idx: 9, signature: sig(10) }] },
    { sessionId: b, count: 2, lastSignature: sig(2), checkpoints: [] },
  ];
  expect(planLoadSegments(extents)).toEqual([
    { sessionId: a, after: 0, count: 4, lastSignature: sig(4) },
    { sessionId: a, after: 4, count: 3, lastSignature: sig(7) },
    { sessionId: a, after: 7, count: 3, lastSignature: sig(10) },
    { sessionId: b, after: 0, count: 2, lastSignature: sig(2) },
  ]);
  expect(planLoadSegments(extents, { [a]: 5, [b]: 2 })).toEqual([
    { sessionId: a, after: 5, count: 2, lastSignature: sig(7) },
    { sessionId: a, after: 7, count: 3, lastSignature: sig(10) },
  ]);
});

test("packStoredPieces: one session per piece at most, header first, vanished sessions skipped", async () => {
  const segments: LoadSegment[] = [
    { sessionId: a, after: 0, count: 1, lastSignature: sig(1) },
    { sessionId: b, after: 0, count: 1, lastSignature: sig(1) },
    { sessionId: a, after: 1, count: 1, lastSignature: sig(2) },
    { sessionId: b, after: 1, count: 1, lastSignature: sig(2) },
  ];
  const header = { type: "comap", ruleset: { type: "unsafeAllowAll" }, meta: null, uniqueness: null } as const;
  const pieces = [];
  for await (const piece of packStoredPieces(id, header, segments, async (s) => (s.sessionId === b && s.after === 1 ? undefined : [`${s.sessionId}/${s.after}`]))) {
    pieces.push(piece);
  }
  expect(pieces).toEqual([
    { id, header, sessions: { [a]: { after: 0, transactions: [`${a}/0`], lastSignature: sig(1) }, [b]: { after: 0, transactions: [`${b}/0`], lastSignature: sig(1) } } },
    { id, sessions: { [a]: { after: 1, transactions: [`${a}/1`], lastSignature: sig(2) } } },
  ]);
});
