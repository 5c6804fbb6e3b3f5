import { StorageError } from "@cosync/core";
import type { SqliteDriver } from "./sqlite-driver.js";

/** One schema step: after it runs, `PRAGMA user_version` is `version`. */
export interface SqliteMigration {
  readonly version: number;
  readonly description: string;
  readonly statements: readonly string[];
}

/**
 * The schema history, oldest first (docs/storage-schema.md mirrors it). Never edit a shipped
 * migration: files in the field were built by it. Append a new one instead.
 */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: "CoValue logs: headers, per-session summaries, transactions, signature checkpoints",
    statements: [
      `CREATE TABLE covalues (
        row_id INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        header TEXT NOT NULL
      )`,
      // AUTOINCREMENT: a session row id is never reused after markDeleted erased it, so a load
      // still iterating an erased session cannot read another session's rows by its old id.
      `CREATE TABLE sessions (
        row_id INTEGER PRIMARY KEY AUTOINCREMENT,
        covalue INTEGER NOT NULL,
        session_id TEXT NOT NULL,
        count INTEGER NOT NULL,
        last_signature TEXT NOT NULL,
        size_since_checkpoint INTEGER NOT NULL,
        hash_state BLOB,
        UNIQUE (covalue, session_id)
      )`,
      `CREATE TABLE transactions (
        session INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        tx TEXT NOT NULL,
        PRIMARY KEY (session, idx)
      ) WITHOUT ROWID`,
      `CREATE TABLE checkpoints (
        session INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        signature TEXT NOT NULL,
        PRIMARY KEY (session, idx)
      ) WITHOUT ROWID`,
    ],
  },
  {
    version: 2,
    description: "Sync bookkeeping: unsynced marks per peer, deletion tombstones",
    statements: [
      `CREATE TABLE unsynced_covalues (
        covalue_id TEXT NOT NULL,
        peer_id TEXT NOT NULL,
        PRIMARY KEY (covalue_id, peer_id)
      ) WITHOUT ROWID`,
      `CREATE TABLE deleted_covalues (
        covalue_id TEXT PRIMARY KEY
      ) WITHOUT ROWID`,
    ],
  },
  {
    version: 3,
    description: "Server bookkeeping: named counters (bytes stored per account)",
    statements: [
      `CREATE TABLE counters (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) WITHOUT ROWID`,
    ],
  },
];

/** The schema version this build writes. */
export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS.length;

/**
 * Brings the database to `target` (default: the latest version), one transaction per migration so
 * a crash mid-upgrade leaves a consistent older version. Refuses files from a newer build.
 */
export function migrateSqliteSchema(driver: SqliteDriver, target = SQLITE_SCHEMA_VERSION): number {
  const current = driver.get<{ user_version: number }>("PRAGMA user_version")?.user_version ?? 0;
  if (current > SQLITE_SCHEMA_VERSION) {
    throw new StorageError(`database schema version ${current} is newer than this build supports (${SQLITE_SCHEMA_VERSION})`);
  }
  for (const migration of SQLITE_MIGRATIONS) {
    if (migration.version <= current || migration.version > target) continue;
    driver.transaction(() => {
      for (const statement of migration.statements) driver.run(statement);
      // user_version lives in the database header, written inside this transaction.
      driver.run(`PRAGMA user_version = ${migration.version}`);
    });
  }
  return Math.max(current, Math.min(target, SQLITE_SCHEMA_VERSION));
}
