import type { AppendSessionPiece, CoId, KnownState, SessionId, StorageAdapter } from "@cosync/core";
import fc from "fast-check";
import { expect, test } from "vitest";
import { bytesOf, loadJoined, openStorageFixture, type StorageSetup } from "./storage-fixture.js";
import { createTestSessionLog, randomCoId, randomSessionId, type TestSessionLog, testHeader } from "./storage-test-data.js";

// The property: any sequence of appends — random sessions, overlaps, gaps, missing headers —
// leaves the adapter agreeing with a model that is a count and a hash-state flag per session.
// Transaction texts and signatures are functions of (session, index), so the model needs no more.

const VALUES = 2;
const SESSIONS = 3;

/** One generated append: which CoValue, whether it carries the header, and per session where the piece starts relative to the model's count. */
interface AppendStep {
  readonly value: number;
  readonly withHeader: boolean;
  readonly pieces: ReadonlyArray<{ readonly session: number; readonly offset: number; readonly length: number; readonly hashState: boolean }>;
}

const arbStep: fc.Arbitrary<AppendStep> = fc.record({
  value: fc.integer({ min: 0, max: VALUES - 1 }),
  withHeader: fc.boolean(),
  pieces: fc.uniqueArray(
    fc.record({
      session: fc.integer({ min: 0, max: SESSIONS - 1 }),
      // Negative: overlaps what is stored; zero: continues exactly; positive: leaves a gap.
      offset: fc.integer({ min: -6, max: 2 }),
      length: fc.integer({ min: 0, max: 8 }),
      hashState: fc.boolean(),
    }),
    { maxLength: SESSIONS, selector: (piece) => piece.session },
  ),
});

interface ModelSession {
  count: number;
  hashState: boolean;
}

interface ModelValue {
  header: boolean;
  readonly sessions: Map<number, ModelSession>;
}

function knownOf(id: CoId, value: ModelValue, logs: readonly TestSessionLog[]): KnownState {
  const sessions: Record<SessionId, number> = {};
  for (const [index, session] of value.sessions) sessions[(logs[index] as TestSessionLog).sessionId] = session.count;
  return { id, header: value.header, sessions };
}

async function checkAgainstModel(storage: StorageAdapter, id: CoId, value: ModelValue, logs: readonly TestSessionLog[]): Promise<void> {
  if (!value.header) {
    expect(await storage.knownState(id)).toBeUndefined();
    return;
  }
  expect(await storage.knownState(id)).toEqual(knownOf(id, value, logs));
  const summary = await storage.summary(id);
  const loaded = await loadJoined(storage, id);
  for (const [index, session] of value.sessions) {
    const log = logs[index] as TestSessionLog;
    const stored = summary?.sessions[log.sessionId];
    expect(stored?.count).toBe(session.count);
    expect(stored?.lastSignature).toBe(log.signatureAt(session.count));
    expect(bytesOf(stored?.hashState)).toEqual(session.hashState ? bytesOf(log.hashStateAt(session.count)) : undefined);
    expect(loaded.sessions[log.sessionId]).toEqual({ after: 0, transactions: log.txs(0, session.count), lastSignature: log.signatureAt(session.count) });
  }
  // A partial `since` gets exactly the tails.
  const half = Object.fromEntries([...value.sessions].map(([index, s]) => [(logs[index] as TestSessionLog).sessionId, Math.floor(s.count / 2)]));
  const tails = await loadJoined(storage, id, { id, header: true, sessions: half });
  for (const [index, session] of value.sessions) {
    const log = logs[index] as TestSessionLog;
    const from = Math.floor(session.count / 2);
    expect(tails.sessions[log.sessionId]?.transactions ?? []).toEqual(log.txs(from, session.count));
  }
}

async function applyStep(storage: StorageAdapter, ids: readonly CoId[], model: ModelValue[], logs: readonly TestSessionLog[], step: AppendStep): Promise<void> {
  const id = ids[step.value] as CoId;
  const value = model[step.value] as ModelValue;
  let gap = !value.header && !step.withHeader;
  const sessions: Record<SessionId, AppendSessionPiece> = {};
  const planned: Array<{ readonly session: number; readonly to: number; readonly hashState: boolean }> = [];
  for (const piece of step.pieces) {
    const count = value.sessions.get(piece.session)?.count ?? 0;
    const from = Math.max(0, count + piece.offset);
    if (from > count) gap = true;
    const log = logs[piece.session] as TestSessionLog;
    sessions[log.sessionId] = log.piece(from, from + piece.length, { hashState: piece.hashState });
    planned.push({ session: piece.session, to: from + piece.length, hashState: piece.hashState });
  }
  const before = knownOf(id, value, logs);
  const outcome = await storage.append(step.withHeader ? { id, header: testHeader(), sessions } : { id, sessions });
  if (gap) {
    expect(outcome).toEqual({ type: "Gap", knownState: before });
    return;
  }
  value.header = true;
  for (const { session, to, hashState } of planned) {
    const current = value.sessions.get(session);
    if (to > (current?.count ?? 0)) value.sessions.set(session, { count: to, hashState });
  }
  expect(outcome).toEqual({ type: "Stored", knownState: knownOf(id, value, logs) });
}

/** Defines the model-based property test (fast-check, ≥ 100 runs; more with FC_NUM_RUNS). */
export function defineStorageModelTest(setup: StorageSetup): void {
  const numRuns = Math.max(100, Number(globalThis.process?.env?.FC_NUM_RUNS ?? 0) || 0);
  test("append: random sequences of appends agree with a simple model", async () => {
    // One store for all runs (fresh ids per run), so adapters with costly setup stay fast.
    await using t = await openStorageFixture(setup);
    await fc.assert(
      fc.asyncProperty(fc.array(arbStep, { minLength: 1, maxLength: 12 }), async (steps) => {
        const ids = Array.from({ length: VALUES }, () => randomCoId());
        const logs = Array.from({ length: SESSIONS }, () => createTestSessionLog(randomSessionId()));
        const model: ModelValue[] = ids.map(() => ({ header: false, sessions: new Map() }));
        for (const step of steps) await applyStep(t.storage, ids, model, logs, step);
        for (const [index, id] of ids.entries()) await checkAgainstModel(t.storage, id, model[index] as ModelValue, logs);
      }),
      { numRuns },
    );
  });
}
