// Operator CLI benchmark: `npm run bench -- cli`. Builds 100k real signed transactions once (a core
// account node writing private maps), stores them in a SQLite file, then runs the built bin:
//   export (SQLite → dump), import (dump → fresh SQLite, every signature verified),
//   migrate (SQLite → fresh SQLite, and → fresh Postgres when a server answers).
// Each is reported in transactions per second (the command's own --json timing, without Node's
// start-up) against the raw write ceiling measured in the same run, in the storage suite's shape
// (raw better-sqlite3 into WAL SQLite with synchronous=FULL, the CLI's setting; for Postgres,
// multi-VALUES inserts) but committed in the copy's own batches: a stored piece is cut at about
// 100 KiB of transaction text, so each commit carries as many rows as one piece does.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createAccountNode, createMemoryStorage, createMemoryStore } from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { openSqliteStorage } from "@cosync/storage-sqlite";
import Database from "better-sqlite3";
import { printTable } from "./harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, "../packages/cli/dist/main.js");
const exec = promisify(execFile);
const MAPS = 100;
const WRITES_PER_MAP = 1_000;
// Rows per raw commit: set from the data to one piece's worth (CHECKPOINT_BYTES of text).
let ROW_BATCH = 50;
const PIECE_CHARACTERS = 100 * 1024;

async function signedSource(file) {
  const store = createMemoryStore();
  const node = createAccountNode({ crypto: await loadNodeCryptoProvider(), storage: createMemoryStorage({ store }), name: "bench", gc: false });
  const group = node.createGroup();
  for (let m = 0; m < MAPS; m++) {
    const map = group.createMap();
    for (let w = 0; w < WRITES_PER_MAP; w++) map.set(`key${w % 50}`, `a value of realistic length, map ${m}, write ${w}`);
  }
  await node.close();
  const source = createMemoryStorage({ store });
  const target = await openSqliteStorage({ file });
  const appends = [];
  for (const id of await source.listIds(undefined, Number.MAX_SAFE_INTEGER)) for await (const piece of source.load(id)) appends.push(target.append(piece));
  await Promise.all(appends);
  await target.close();
}

async function cliJson(args) {
  const { stdout } = await exec(process.execPath, [cli, ...args, "--json"], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout);
}

/** Raw better-sqlite3 writing `total` transaction rows of ~`textLength` characters, 50 per DB transaction. */
function sqliteCeiling(file, total, textLength) {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE transactions (session INTEGER, idx INTEGER, tx TEXT, PRIMARY KEY (session, idx)) WITHOUT ROWID");
  const insert = db.prepare("INSERT INTO transactions (session, idx, tx) VALUES (?, ?, ?)");
  const text = "x".repeat(textLength);
  const batch = db.transaction((from) => {
    for (let index = from; index < from + ROW_BATCH; index++) insert.run(Math.floor(index / WRITES_PER_MAP), index, text);
  });
  const start = performance.now();
  for (let from = 0; from < total; from += ROW_BATCH) batch(from);
  const seconds = (performance.now() - start) / 1000;
  db.close();
  return total / seconds;
}

async function postgresUrl(name) {
  const serverUrl = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  try {
    const pg = (await import("pg")).default;
    const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 2_000 });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return { pg, serverUrl, url: url.toString() };
  } catch (error) {
    console.log(`(postgres skipped: ${error instanceof Error ? error.message : error})`);
    return undefined;
  }
}

async function postgresCeiling(pg, url, total, textLength) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query("CREATE TABLE ceiling (session int, idx int, tx text, PRIMARY KEY (session, idx))");
  const text = "x".repeat(textLength);
  const start = performance.now();
  for (let from = 0; from < total; from += ROW_BATCH) {
    const params = [];
    const rows = [];
    for (let index = from; index < from + ROW_BATCH; index++) {
      rows.push(`($${params.length + 1}, $${params.length + 2}, $${params.length + 3})`);
      params.push(Math.floor(index / WRITES_PER_MAP), index, text);
    }
    await client.query(`INSERT INTO ceiling (session, idx, tx) VALUES ${rows.join(", ")}`, params);
  }
  const seconds = (performance.now() - start) / 1000;
  await client.end();
  return total / seconds;
}

export async function run() {
  const dir = await mkdtemp(join(tmpdir(), "cosync-bench-cli-"));
  const pgDatabases = [];
  try {
    const source = join(dir, "source.db");
    await signedSource(source);
    const rows = [];
    const exported = await cliJson(["export", "--db", source, "--out", join(dir, "dump.cosync")]);
    const total = exported.transactions;
    const textLength = Math.round(exported.bytes / total);
    ROW_BATCH = Math.max(1, Math.floor(PIECE_CHARACTERS / textLength));
    const sqliteLimit = sqliteCeiling(join(dir, "ceiling.db"), total, textLength);
    const row = (operation, seconds, ceiling) => ({
      operation,
      tx: total,
      seconds,
      "tx/s": total / seconds,
      "raw ceiling rows/s": ceiling,
      "× ceiling": ceiling === undefined ? undefined : total / seconds / ceiling,
    });
    rows.push(row("export SQLite → dump", exported.seconds, sqliteLimit));
    const imported = await cliJson(["import", join(dir, "dump.cosync"), "--db", join(dir, "imported.db")]);
    rows.push(row("import dump → SQLite (verified)", imported.seconds, sqliteLimit));
    const checked = await cliJson(["import", join(dir, "dump.cosync"), "--check"]);
    rows.push(row("import --check (verify only)", checked.seconds, undefined));
    const migrated = await cliJson(["migrate", "--from", source, "--to", join(dir, "migrated.db")]);
    rows.push(row("migrate SQLite → SQLite (verified)", migrated.seconds, sqliteLimit));
    const pgTarget = await postgresUrl("cosync_bench_cli_target");
    if (pgTarget !== undefined) {
      pgDatabases.push(pgTarget);
      const pgCeilingDb = await postgresUrl("cosync_bench_cli_ceiling");
      pgDatabases.push(pgCeilingDb);
      const pgLimit = await postgresCeiling(pgCeilingDb.pg, pgCeilingDb.url, total, textLength);
      const toPg = await cliJson(["migrate", "--from", source, "--to", pgTarget.url]);
      rows.push(row("migrate SQLite → Postgres (verified)", toPg.seconds, pgLimit));
      const fromPg = await cliJson(["migrate", "--from", pgTarget.url, "--to", join(dir, "back.db")]);
      rows.push(row("migrate Postgres → SQLite (verified)", fromPg.seconds, sqliteLimit));
    }
    console.log(`${total} signed transactions (${MAPS} private maps × ${WRITES_PER_MAP} writes, ~${textLength} characters each in the dump); raw ceiling: ${ROW_BATCH}-row commits; 1.0 = at the ceiling`);
    printTable(["operation", "tx", "seconds", "tx/s", "raw ceiling rows/s", "× ceiling"], rows);
    return { transactions: total, rows };
  } finally {
    for (const db of pgDatabases) {
      const admin = new db.pg.Client({ connectionString: db.serverUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${new URL(db.url).pathname.slice(1)} WITH (FORCE)`);
      await admin.end();
    }
    await rm(dir, { recursive: true, force: true });
  }
}
