// Storage benchmark: `npm run bench -- storage`. For each adapter (memory as a reference, SQLite in
// both synchronous modes, Postgres when its dist is built and a server answers), measures
//   1. append throughput in 50-transaction messages (realistic 120–230 character transactions),
//   2. cold load of a 10k-transaction CoValue (fresh adapter on the stored data, iterate all pieces),
//   3. known-state lookup latency on a 100,000-value store,
// and prints each against the limit measured on our 2-core machines (bench/ reproduces them). Adapters are a list of
// factories, so another store is one more entry in `adapterFactories()`.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { base58Encode, createMemoryStorage, createMemoryStore, serializeTransaction } from "@cosync/core";
import { openSqliteStorage } from "@cosync/storage-sqlite";
import Database from "better-sqlite3";
import { printTable } from "./harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));

/** Limits measured on our 2-core machines. */
const LIMITS = {
  // §6: WAL, 50 rows + session upsert per transaction (NORMAL 240 k rows/s, FULL 125 k rows/s).
  sqliteNormalRowsPerSec: 240_000,
  sqliteFullRowsPerSec: 125_000,
  // §7: `pg` 50-row multi-VALUES insert with synchronous_commit=on.
  postgresRowsPerSec: 101_000,
  // §6: 10 k rows of one session by key range, `.pluck()`, warm cache — the read floor of a cold load.
  coldLoadMs: 4.0,
  // The design target for a `load` reply's storage check.
  knownStateMs: 1.0,
};

const MESSAGE_TXS = 50;
const COLD_LOAD_TXS = 10_000;
// BENCH_KNOWN_STATE_VALUES shrinks the known-state store for quick runs; reported figures use 100k.
const KNOWN_STATE_VALUES = Number(process.env.BENCH_KNOWN_STATE_VALUES ?? 100_000);

const randomBytes = (length) => globalThis.crypto.getRandomValues(new Uint8Array(length));
const coId = () => `co_z${base58Encode(randomBytes(19))}`;
const sessionId = () => `${coId()}_session_z${base58Encode(randomBytes(8))}`;
const header = () => ({ type: "comap", ruleset: { type: "ownedByGroup", group: coId() }, meta: null, uniqueness: `z${base58Encode(randomBytes(12))}` });

// A pool of transaction texts 120–230 characters long (a CoMap `set` of a short value) and of
// signatures; storage never looks inside them, so reusing them costs nothing in realism.
const TX_POOL = Array.from({ length: 997 }, (_, index) =>
  serializeTransaction({
    privacy: "trusting",
    madeAt: 1_764_072_000_000 + index,
    changes: JSON.stringify([{ op: "set", key: `field${index % 17}`, value: base58Encode(randomBytes(14 + (index % 80))) }]),
  }),
);
const SIGNATURES = Array.from({ length: 64 }, () => `signature_z${base58Encode(randomBytes(64))}`);
const HASH_STATE = randomBytes(64);

function piece(after, count, salt = 0) {
  const transactions = new Array(count);
  for (let index = 0; index < count; index++) transactions[index] = TX_POOL[(after + index + salt) % TX_POOL.length];
  return { after, transactions, lastSignature: SIGNATURES[(after + count) % SIGNATURES.length], hashState: HASH_STATE };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const percentile = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];

async function sqliteFactory(synchronous) {
  const dir = await mkdtemp(join(tmpdir(), "cosync-bench-sqlite-"));
  const file = join(dir, "bench.sqlite");
  return {
    storage: await openSqliteStorage({ file, synchronous }),
    reopen: () => openSqliteStorage({ file, synchronous }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Postgres, if its package is built and a server answers: a throwaway database per factory call. */
async function postgresFactories() {
  const dist = join(here, "../packages/storage-postgres/dist/index.js");
  if (!existsSync(dist)) return [];
  const serverUrl = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  let pg;
  let openPostgresStorage;
  try {
    pg = (await import("pg")).default;
    ({ openPostgresStorage } = await import(dist));
    const probe = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 2_000 });
    await probe.connect();
    await probe.end();
  } catch (error) {
    console.log(`(postgres skipped: ${error instanceof Error ? error.message : error})`);
    return [];
  }
  const admin = async (sql) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const open = async () => {
    const name = `bench_${base58Encode(randomBytes(6)).toLowerCase()}`;
    await admin(`CREATE DATABASE ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      storage: await openPostgresStorage({ url: url.toString() }),
      reopen: () => openPostgresStorage({ url: url.toString() }),
      cleanup: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    };
  };
  return [{ name: "postgres", appendLimit: LIMITS.postgresRowsPerSec, populateConcurrency: 32, knownState: true, open, rawPostgres: { pg, open } }];
}

/**
 * The same-run ceiling for PostgreSQL: the shape measured on our 2-core machines (one 50-row multi-VALUES insert per
 * message, autocommit, synchronous_commit on) with `pg` on the same server. Its rounds alternate
 * with the adapter's, so fsync latency on a shared disk hits both alike.
 */
async function openRawPostgresWriter({ pg, open }) {
  const opened = await open();
  await opened.storage.close();
  const pool = new pg.Pool({ connectionString: opened.url, max: 1 });
  await pool.query("CREATE TABLE raw_transactions (session BIGINT, idx INTEGER, tx TEXT, PRIMARY KEY (session, idx))");
  const insert = async (session, from, salt) => {
    const { transactions } = piece(from, MESSAGE_TXS, salt);
    const values = [];
    const params = [];
    for (let index = 0; index < MESSAGE_TXS; index++) {
      values.push(`($${index * 3 + 1}, $${index * 3 + 2}, $${index * 3 + 3})`);
      params.push(session, from + index, transactions[index]);
    }
    await pool.query(`INSERT INTO raw_transactions (session, idx, tx) VALUES ${values.join(", ")}`, params);
  };
  return {
    round: rawRounds(insert),
    async close() {
      await pool.end();
      await opened.cleanup();
    },
  };
}

/**
 * The adapters to measure: name, measured append limit, the synchronous mode of a raw same-run
 * ceiling (SQLite only), how many appends to run at once when filling the known-state store, and a
 * factory of fresh, reopenable stores.
 */
async function adapterFactories() {
  return [
    {
      name: "memory",
      appendLimit: undefined,
      populateConcurrency: 1,
      knownState: true,
      open: async () => {
        const store = createMemoryStore();
        return { storage: createMemoryStorage({ store }), reopen: async () => createMemoryStorage({ store }), cleanup: async () => {} };
      },
    },
    {
      name: "sqlite full",
      appendLimit: LIMITS.sqliteFullRowsPerSec,
      rawSynchronous: "FULL",
      populateConcurrency: 1,
      knownState: false,
      open: () => sqliteFactory("full"),
    },
    // The known-state store (100k appends) is built in normal mode only: full would spend ~30 s
    // in fsyncs to build the same file, and lookups do not depend on the mode.
    {
      name: "sqlite normal",
      appendLimit: LIMITS.sqliteNormalRowsPerSec,
      rawSynchronous: "NORMAL",
      populateConcurrency: 1,
      knownState: true,
      open: () => sqliteFactory("normal"),
    },
    ...(await postgresFactories()),
  ];
}

const APPEND_ROUNDS = 5;
const ROUND_MESSAGES = 1_200;

/**
 * A raw ceiling's round: 50-transaction messages round-robin over 200 fresh sessions, written
 * with `write(session, from, salt)` (synchronous or not); resolves with rows/s.
 */
function rawRounds(write) {
  let nextSession = 0;
  return async () => {
    const sessions = Array.from({ length: 200 }, () => ({ row: nextSession++, count: 0 }));
    const start = performance.now();
    for (let message = 0; message < ROUND_MESSAGES; message++) {
      const session = sessions[message % sessions.length];
      const pending = write(session.row, session.count, message);
      if (pending !== undefined) await pending;
      session.count += MESSAGE_TXS;
    }
    return (ROUND_MESSAGES * MESSAGE_TXS) / ((performance.now() - start) / 1000);
  };
}

/**
 * The same-run ceiling for SQLite: the shape measured on our 2-core machines (50 transaction rows + a session upsert per
 * DB transaction, WAL) on raw better-sqlite3. Its rounds alternate with the adapter's, so noise on
 * a shared VM (fsync latency above all) hits adapter and ceiling alike.
 */
async function openRawSqliteWriter(synchronous) {
  const dir = await mkdtemp(join(tmpdir(), "cosync-bench-raw-"));
  const db = new Database(join(dir, "raw.sqlite"));
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${synchronous}`);
  db.exec(`CREATE TABLE sessions (row_id INTEGER PRIMARY KEY, count INTEGER NOT NULL, last_signature TEXT NOT NULL);
    CREATE TABLE transactions (session INTEGER, idx INTEGER, tx TEXT, PRIMARY KEY (session, idx)) WITHOUT ROWID`);
  const insert = db.prepare("INSERT INTO transactions (session, idx, tx) VALUES (?, ?, ?)");
  const upsert = db.prepare(
    "INSERT INTO sessions (row_id, count, last_signature) VALUES (?, ?, ?) ON CONFLICT (row_id) DO UPDATE SET count = excluded.count, last_signature = excluded.last_signature",
  );
  const write = db.transaction((session, from, salt) => {
    const { transactions, lastSignature } = piece(from, MESSAGE_TXS, salt);
    for (let index = 0; index < MESSAGE_TXS; index++) insert.run(session, from + index, transactions[index]);
    upsert.run(session, from + MESSAGE_TXS, lastSignature);
  });
  return {
    round: rawRounds(write),
    async close() {
      db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Appends 50-transaction messages round-robin over 200 fresh CoValues per round. */
async function openAdapterWriter(factory) {
  const opened = await factory.open();
  const { storage } = opened;
  return {
    async round() {
      const values = Array.from({ length: 200 }, () => ({ id: coId(), session: sessionId(), count: 0 }));
      for (const value of values) await storage.append({ id: value.id, header: header(), sessions: {} });
      const start = performance.now();
      for (let message = 0; message < ROUND_MESSAGES; message++) {
        const value = values[message % values.length];
        await storage.append({ id: value.id, sessions: { [value.session]: piece(value.count, MESSAGE_TXS, message) } });
        value.count += MESSAGE_TXS;
      }
      return (ROUND_MESSAGES * MESSAGE_TXS) / ((performance.now() - start) / 1000);
    },
    async close() {
      await storage.close();
      await opened.cleanup();
    },
  };
}

/** Median rows/s of the adapter and, if it has one, of its raw ceiling, measured in alternating rounds. */
async function measureAppend(factory) {
  const adapter = await openAdapterWriter(factory);
  const raw =
    factory.rawSynchronous !== undefined
      ? await openRawSqliteWriter(factory.rawSynchronous)
      : factory.rawPostgres !== undefined
        ? await openRawPostgresWriter(factory.rawPostgres)
        : undefined;
  try {
    const rates = [];
    const rawRates = [];
    for (let round = 0; round < APPEND_ROUNDS; round++) {
      rates.push(await adapter.round());
      if (raw !== undefined) rawRates.push(await raw.round());
    }
    return { rowsPerSec: median(rates), baseline: raw === undefined ? undefined : median(rawRates) };
  } finally {
    await adapter.close();
    await raw?.close();
  }
}

/** Milliseconds to open a fresh adapter on stored data and iterate a 10k-transaction CoValue (median of 5). */
async function measureColdLoad(factory) {
  const opened = await factory.open();
  try {
    const id = coId();
    const session = sessionId();
    await opened.storage.append({ id, header: header(), sessions: {} });
    for (let after = 0; after < COLD_LOAD_TXS; after += MESSAGE_TXS) {
      await opened.storage.append({ id, sessions: { [session]: piece(after, MESSAGE_TXS) } });
    }
    await opened.storage.close();
    const opens = [];
    const totals = [];
    for (let round = 0; round < 5; round++) {
      const start = performance.now();
      const storage = await opened.reopen();
      const ready = performance.now();
      let count = 0;
      let pieces = 0;
      for await (const loaded of storage.load(id)) {
        pieces++;
        for (const part of Object.values(loaded.sessions)) count += part.transactions.length;
      }
      totals.push(performance.now() - start);
      opens.push(ready - start);
      await storage.close();
      if (count !== COLD_LOAD_TXS) throw new Error(`cold load returned ${count} transactions in ${pieces} pieces`);
    }
    return { openMs: median(opens), totalMs: median(totals) };
  } finally {
    await opened.cleanup();
  }
}

/** Median and p99 of single known-state lookups on a store holding KNOWN_STATE_VALUES CoValues. */
async function measureKnownState(factory) {
  const opened = await factory.open();
  try {
    const ids = [];
    const populate = async (index) => {
      const id = coId();
      ids.push(id);
      await opened.storage.append({ id, header: header(), sessions: { [sessionId()]: piece(0, 2, index), [sessionId()]: piece(0, 1, index) } });
    };
    for (let index = 0; index < KNOWN_STATE_VALUES; index += factory.populateConcurrency) {
      const batch = [];
      for (let offset = 0; offset < factory.populateConcurrency && index + offset < KNOWN_STATE_VALUES; offset++) batch.push(populate(index + offset));
      await Promise.all(batch);
    }
    const storage = await opened.reopen();
    try {
      const samples = [];
      for (let lookup = 0; lookup < 20_000; lookup++) {
        const id = ids[Math.floor(Math.random() * ids.length)];
        const start = performance.now();
        const known = await storage.knownState(id);
        samples.push(performance.now() - start);
        if (known === undefined) throw new Error(`known state of ${id} missing`);
      }
      return { medianMs: median(samples.slice(2_000)), p99Ms: percentile(samples.slice(2_000), 0.99) };
    } finally {
      await storage.close();
    }
  } finally {
    await opened.cleanup();
  }
}

/** Runs the storage suite; returns its tables as JSON-able rows. BENCH_ADAPTERS=memory,sqlite… narrows it. */
export async function run() {
  const only = process.env.BENCH_ADAPTERS?.split(",").map((name) => name.trim());
  const factories = (await adapterFactories()).filter((factory) => only === undefined || only.some((name) => factory.name.startsWith(name)));
  const append = [];
  const coldLoad = [];
  const knownState = [];
  for (const factory of factories) {
    const { rowsPerSec, baseline } = await measureAppend(factory);
    append.push({
      adapter: factory.name,
      "rows/s": rowsPerSec,
      "PERF limit": factory.appendLimit ?? "",
      "× limit": factory.appendLimit ? rowsPerSec / factory.appendLimit : "",
      "raw same run": baseline ?? "",
      "× raw": baseline ? rowsPerSec / baseline : "",
    });
    const load = await measureColdLoad(factory);
    coldLoad.push({ adapter: factory.name, "open ms": load.openMs, "open+iterate ms": load.totalMs, "limit ms": LIMITS.coldLoadMs, "× limit": load.totalMs / LIMITS.coldLoadMs });
    if (factory.knownState) {
      const lookup = await measureKnownState(factory);
      knownState.push({
        adapter: factory.name,
        values: KNOWN_STATE_VALUES,
        "median µs": lookup.medianMs * 1000,
        "p99 µs": lookup.p99Ms * 1000,
        "target µs": LIMITS.knownStateMs * 1000,
        "× target": lookup.medianMs / LIMITS.knownStateMs,
      });
    }
  }
  console.log(`append, ${MESSAGE_TXS}-transaction messages (the measured limit, and the raw driver doing the same writes in this run; 1.0 = at the ceiling)`);
  printTable(["adapter", "rows/s", "PERF limit", "× limit", "raw same run", "× raw"], append);
  console.log(`\ncold load of a ${COLD_LOAD_TXS}-transaction CoValue (limit: the measured key-range read of 10k rows)`);
  printTable(["adapter", "open ms", "open+iterate ms", "limit ms", "× limit"], coldLoad);
  console.log(`\nknown-state lookup on a ${KNOWN_STATE_VALUES}-value store (target < 1 ms)`);
  printTable(["adapter", "values", "median µs", "p99 µs", "target µs", "× target"], knownState);
  return { limits: LIMITS, append, coldLoad, knownState };
}
