import type { CoId, CoValueHeader, SessionId, Signature, StorageAdapter } from "@cosync/core";
import pg from "pg";
import { afterEach, beforeEach, expect, test } from "vitest";
import { openPostgresStorage } from "./open-postgres-storage.js";
import { createFreshDatabase, type FreshDatabase } from "./test-fixtures/fresh-database.js";

// Two pools stand for two server processes sharing one database: they receive the same session
// content from different clients, cut into different pieces, and store it at the same time.

const id = "co_zSharedValue" as CoId;
const header: CoValueHeader = { type: "colist", ruleset: { type: "unsafeAllowAll" }, meta: null, uniqueness: "zShared" };
const sessions = ["co_zA_session_zA1", "co_zB_session_zB1", "co_zC_session_zC1"] as SessionId[];
const LOG_LENGTH = 240;

// Some transactions are ~3 KB so checkpoints get recorded while the writers race.
const txAt = (session: SessionId, index: number): string =>
  JSON.stringify({ privacy: "trusting", madeAt: index, changes: `["${session}#${index}${index % 7 === 0 ? "y".repeat(3000) : ""}"]` });
const sigAt = (session: SessionId, count: number): Signature => `signature_z${session}_${count}` as Signature;

let db: FreshDatabase;
beforeEach(async () => {
  db = await createFreshDatabase();
});
afterEach(async () => {
  await db.drop();
});

/** Deterministic pseudo-random piece sizes, different per writer. */
function cutter(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return 1 + (state % 17);
  };
}

// Each writer walks every session forward in its own cuts, starting each piece a little before
// what it last stored (overlap), and resyncs from the reported known state after a Gap, as the
// sync engine does.
async function writer(storage: StorageAdapter, seed: number): Promise<number> {
  const nextSize = cutter(seed);
  const position = new Map<SessionId, number>(sessions.map((s) => [s, 0]));
  let gaps = 0;
  for (let step = 0; [...position.values()].some((p) => p < LOG_LENGTH); step++) {
    const piecesBySession: Record<SessionId, { after: number; transactions: string[]; lastSignature: Signature }> = {};
    // Odd steps carry one session (the single-statement fast path), even steps all of them.
    const chosen = step % 2 === 1 ? [sessions[(step >> 1) % sessions.length] as SessionId] : sessions;
    for (const session of chosen) {
      const from = Math.max(0, (position.get(session) ?? 0) - (nextSize() % 3));
      const to = Math.min(LOG_LENGTH, from + nextSize());
      if (to <= from) continue;
      const transactions = Array.from({ length: to - from }, (_, i) => txAt(session, from + i));
      piecesBySession[session] = { after: from, transactions, lastSignature: sigAt(session, to) };
    }
    const outcome = await storage.append({ id, header, sessions: piecesBySession });
    if (outcome.type === "Gap") gaps++;
    for (const session of sessions) position.set(session, outcome.knownState.sessions[session] ?? 0);
  }
  return gaps;
}

test("postgres: two processes appending the same sessions concurrently leave every session intact", async () => {
  const one = await openPostgresStorage({ url: db.url, maxConnections: 3 });
  const two = await openPostgresStorage({ url: db.url, maxConnections: 3 });
  try {
    // Two writers per process as well, so each pool also races itself.
    await Promise.all([writer(one, 1), writer(two, 2), writer(one, 3), writer(two, 4)]);
    const expected = Object.fromEntries(sessions.map((s) => [s, LOG_LENGTH]));
    expect(await one.knownState(id)).toEqual({ id, header: true, sessions: expected });
    expect(await two.knownState(id)).toEqual({ id, header: true, sessions: expected });
  } finally {
    await one.close();
    await two.close();
  }

  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    for (const session of sessions) {
      const { rows: summary } = await client.query(
        "SELECT row_id, count, last_signature FROM cosync_sessions WHERE covalue = $1 AND session_id = $2",
        [id, session],
      );
      expect(summary).toHaveLength(1);
      expect(summary[0]).toMatchObject({ count: LOG_LENGTH, last_signature: sigAt(session, LOG_LENGTH) });
      const { rows } = await client.query<{ idx: number; tx: string }>(
        "SELECT idx, tx FROM cosync_transactions WHERE session = $1 ORDER BY idx",
        [summary[0].row_id],
      );
      expect(rows.map((row) => row.idx)).toEqual(Array.from({ length: LOG_LENGTH }, (_, i) => i));
      expect(rows.every((row) => row.tx === txAt(session, row.idx))).toBe(true);
      const { rows: checkpoints } = await client.query<{ idx: number; signature: string }>(
        "SELECT idx, signature FROM cosync_checkpoints WHERE session = $1 ORDER BY idx",
        [summary[0].row_id],
      );
      expect(checkpoints.length).toBeGreaterThan(0);
      for (const checkpoint of checkpoints) expect(checkpoint.signature).toBe(sigAt(session, checkpoint.idx + 1));
    }
  } finally {
    await client.end();
  }
});

test("postgres: two processes creating the same new CoValue and session at once store it once", async () => {
  const one = await openPostgresStorage({ url: db.url });
  const two = await openPostgresStorage({ url: db.url });
  try {
    for (let round = 0; round < 20; round++) {
      const roundId = `co_zRace${round}` as CoId;
      const session = sessions[round % sessions.length] as SessionId;
      const transactions = [txAt(session, 0), txAt(session, 1)];
      const chunk = { id: roundId, header, sessions: { [session]: { after: 0, transactions, lastSignature: sigAt(session, 2) } } };
      const outcomes = await Promise.all([one.append(chunk), two.append(chunk)]);
      for (const outcome of outcomes) expect(outcome).toEqual({ type: "Stored", knownState: { id: roundId, header: true, sessions: { [session]: 2 } } });
    }
  } finally {
    await one.close();
    await two.close();
  }
});

test("postgres: a process with a stale view of a session falls back and stores only the unseen suffix", async () => {
  const one = await openPostgresStorage({ url: db.url });
  const two = await openPostgresStorage({ url: db.url });
  const session = sessions[0] as SessionId;
  const piece = (from: number, to: number) => ({
    after: from,
    transactions: Array.from({ length: to - from }, (_, i) => txAt(session, from + i)),
    lastSignature: sigAt(session, to),
  });
  try {
    await one.append({ id, header, sessions: { [session]: piece(0, 5) } });
    await one.append({ id, sessions: { [session]: piece(5, 6) } }); // `one` now knows the row at 6
    await two.append({ id, sessions: { [session]: piece(6, 10) } });
    expect(await one.append({ id, sessions: { [session]: piece(6, 12) } })).toEqual({
      type: "Stored",
      knownState: { id, header: true, sessions: { [session]: 12 } },
    });
    expect(await one.append({ id, sessions: { [session]: piece(13, 14) } })).toMatchObject({ type: "Gap" });

    // Deleted by the other process: the stale view must not write into the erased session.
    await two.markDeleted(id);
    expect(await one.append({ id, sessions: { [session]: piece(12, 13) } })).toMatchObject({ type: "Gap" });
    expect(await one.knownState(id)).toEqual({ id, header: true, sessions: {} });
  } finally {
    await one.close();
    await two.close();
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT count(*)::integer AS n FROM cosync_transactions");
    expect(rows[0]).toEqual({ n: 0 });
  } finally {
    await client.end();
  }
});
