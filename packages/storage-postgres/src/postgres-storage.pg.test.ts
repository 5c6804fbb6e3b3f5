import {
  CHECKPOINT_BYTES,
  type CoId,
  type CoValueHeader,
  type SessionId,
  type Signature,
  StorageError,
  type StoredPiece,
} from "@cosync/core";
import { runStorageConformance } from "@cosync/testing";
import pg from "pg";
import { afterEach, beforeEach, expect, test } from "vitest";
import { openPostgresStorage } from "./open-postgres-storage.js";
import { POSTGRES_SCHEMA_VERSION } from "./postgres-migrations.js";
import { createFreshDatabase, type FreshDatabase } from "./test-fixtures/fresh-database.js";

// Each conformance test gets its own database (CREATE DATABASE t_<random>), dropped afterwards.
runStorageConformance("postgres", async () => {
  const fresh = await createFreshDatabase();
  const storage = await openPostgresStorage({ url: fresh.url });
  return { storage, reopen: () => openPostgresStorage({ url: fresh.url }), cleanup: () => fresh.drop() };
});

const id = "co_zPostgresTestValue" as CoId;
const header: CoValueHeader = { type: "comap", ruleset: { type: "unsafeAllowAll" }, meta: null, uniqueness: "zUnique" };
const alice = "co_zAlice_session_zAlice1" as SessionId;

const tx = (session: string, index: number, pad = 0): string =>
  JSON.stringify({ privacy: "trusting", madeAt: index, changes: `["${session}:${index}${"x".repeat(pad)}"]` });
const sig = (session: string, count: number): Signature => `signature_z${session}${count}` as Signature;

function piece(session: SessionId, after: number, count: number, pad = 0) {
  const transactions = Array.from({ length: count }, (_, i) => tx(session, after + i, pad));
  return { after, transactions, lastSignature: sig(session, after + count) };
}

async function collect(pieces: AsyncIterable<StoredPiece>): Promise<StoredPiece[]> {
  const out: StoredPiece[] = [];
  for await (const p of pieces) out.push(p);
  return out;
}

let db: FreshDatabase;
beforeEach(async () => {
  db = await createFreshDatabase();
});
afterEach(async () => {
  await db.drop();
});

test("postgres: loads are cut at the checkpoints recorded every CHECKPOINT_BYTES", async () => {
  await using storage = await openPostgresStorage({ url: db.url });
  const pad = 10_000;
  const perPiece = 4;
  for (let after = 0; after < 40; after += perPiece) {
    await storage.append({ id, header, sessions: { [alice]: piece(alice, after, perPiece, pad) } });
  }
  const pieces = await collect(storage.load(id));
  const ranges = pieces.map((p) => {
    const s = p.sessions[alice];
    return [s?.after, (s?.after ?? 0) + (s?.transactions.length ?? 0)];
  });
  // ~10 KB per transaction: the running total passes 100 KiB after the 12th, 24th and 36th.
  expect(ranges).toEqual([[0, 12], [12, 24], [24, 36], [36, 40]]);
  for (const p of pieces) {
    const s = p.sessions[alice];
    expect(s?.lastSignature).toBe(sig(alice, (s?.after ?? 0) + (s?.transactions.length ?? 0)));
    expect(JSON.stringify(s?.transactions).length).toBeLessThan(CHECKPOINT_BYTES + perPiece * (pad + 100));
  }
  expect(await collect(storage.load(id, { id, header: true, sessions: { [alice]: 30 } }))).toEqual([
    { id, sessions: { [alice]: piece(alice, 30, 6, pad) } },
    { id, sessions: { [alice]: piece(alice, 36, 4, pad) } },
  ]);
});

test("postgres: a caller's pool is used as given and left open on close", async () => {
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    const storage = await openPostgresStorage({ pool });
    await storage.append({ id, header, sessions: { [alice]: piece(alice, 0, 1) } });
    await storage.close();
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM cosync_transactions");
    expect(rows[0]).toEqual({ n: 1 });
  } finally {
    await pool.end();
  }
});

test("postgres: knownState and summary never read the transactions table", async () => {
  const texts: string[] = [];
  class RecordingPool extends pg.Pool {
    override query(...args: Parameters<pg.Pool["query"]>): ReturnType<pg.Pool["query"]> {
      const first = args[0] as string | { text: string };
      texts.push(typeof first === "string" ? first : first.text);
      return (super.query as (...a: unknown[]) => ReturnType<pg.Pool["query"]>)(...args);
    }
  }
  const pool = new RecordingPool({ connectionString: db.url, max: 2 });
  try {
    await using storage = await openPostgresStorage({ pool });
    await storage.append({ id, header, sessions: { [alice]: piece(alice, 0, 3) } });
    texts.length = 0;
    await storage.knownState(id);
    await storage.summary(id);
    expect(texts).toHaveLength(2);
    expect(texts.join("\n")).not.toContain("cosync_transactions");
  } finally {
    await pool.end();
  }
});

test("postgres: two processes opening a fresh database at once migrate it exactly once", async () => {
  const [one, two] = await Promise.all([openPostgresStorage({ url: db.url }), openPostgresStorage({ url: db.url })]);
  await one.close();
  await two.close();
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT version FROM cosync_schema_version ORDER BY version");
    // Each migration once, however many processes raced to apply it.
    expect(rows).toEqual(Array.from({ length: POSTGRES_SCHEMA_VERSION }, (_, index) => ({ version: index + 1 })));
  } finally {
    await client.end();
  }
});

test("postgres: a database migrated by a newer cosync is refused, not guessed at", async () => {
  await (await openPostgresStorage({ url: db.url })).close();
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query("INSERT INTO cosync_schema_version (version, description) VALUES ($1, 'from the future')", [
      POSTGRES_SCHEMA_VERSION + 1,
    ]);
  } finally {
    await client.end();
  }
  await expect(openPostgresStorage({ url: db.url })).rejects.toThrow(/schema is version/);
});

test("postgres: an unreachable server fails to open with a StorageError", async () => {
  const url = new URL(db.url);
  url.port = "1";
  const failure = await openPostgresStorage({ url: url.toString() }).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(StorageError);
  expect((failure as StorageError).cause).toBeDefined();
});

test("postgres: connections the server drops are reported and replaced on the next call", async () => {
  const errors: Error[] = [];
  await using storage = await openPostgresStorage({ url: db.url, onConnectionError: (error) => errors.push(error) });
  await storage.append({ id, header, sessions: { [alice]: piece(alice, 0, 2) } });
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  try {
    // What a server restart does to the pool's idle connections.
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
  } finally {
    await admin.end();
  }
  await expect.poll(() => errors.length).toBeGreaterThan(0);
  expect(await storage.knownState(id)).toEqual({ id, header: true, sessions: { [alice]: 2 } });
  expect(await storage.append({ id, sessions: { [alice]: piece(alice, 2, 1) } })).toMatchObject({ type: "Stored" });
});
