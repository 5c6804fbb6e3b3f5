import { StorageError } from "@cosync/core";
import type { Pool } from "pg";
import { inTransaction } from "./postgres-transaction.js";

/** One schema step: applied once, in order, inside the migration transaction. */
interface Migration {
  readonly version: number;
  readonly description: string;
  readonly statements: readonly string[];
}

// Ids and session ids are compared byte-wise (COLLATE "C"): it is faster than a locale collation,
// and "session order" must be the same order JavaScript's default sort gives for ASCII ids.
//
// transactions and checkpoints have no foreign key to sessions: a FK check costs an index probe
// per inserted row, and the adapter already writes them only under the session row's lock.
const migrations: readonly Migration[] = [
  {
    version: 1,
    description: "covalues, sessions, transactions, checkpoints, unsynced",
    statements: [
      `CREATE TABLE cosync_covalues (
         id text COLLATE "C" PRIMARY KEY,
         header text,
         deleted boolean NOT NULL DEFAULT false
       )`,
      `CREATE TABLE cosync_sessions (
         row_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         covalue text COLLATE "C" NOT NULL REFERENCES cosync_covalues (id),
         session_id text COLLATE "C" NOT NULL,
         count integer NOT NULL CHECK (count >= 0),
         last_signature text NOT NULL,
         bytes_since_checkpoint integer NOT NULL DEFAULT 0,
         hash_state bytea,
         UNIQUE (covalue, session_id)
       )`,
      `CREATE TABLE cosync_transactions (
         session bigint NOT NULL,
         idx integer NOT NULL,
         tx text NOT NULL,
         PRIMARY KEY (session, idx)
       )`,
      // idx: the last transaction the signature covers (core's StoredCheckpoint).
      `CREATE TABLE cosync_checkpoints (
         session bigint NOT NULL,
         idx integer NOT NULL,
         signature text NOT NULL,
         PRIMARY KEY (session, idx)
       )`,
      `CREATE TABLE cosync_unsynced (
         covalue text COLLATE "C" NOT NULL,
         peer_id text COLLATE "C" NOT NULL,
         PRIMARY KEY (covalue, peer_id)
       )`,
    ],
  },
  {
    version: 2,
    description: "server bookkeeping: named counters (bytes stored per account)",
    statements: [
      `CREATE TABLE cosync_counters (
         name text COLLATE "C" PRIMARY KEY,
         value bigint NOT NULL
       )`,
    ],
  },
];

/** The schema version this build of the adapter writes. */
export const POSTGRES_SCHEMA_VERSION = migrations[migrations.length - 1]?.version ?? 0;

// Any constant works as long as every cosync process uses the same one ("cosync" in ASCII).
const MIGRATION_LOCK_KEY = 0x636f73796e63;

/**
 * Brings the database to `POSTGRES_SCHEMA_VERSION`.
 *
 * Runs in one transaction under a transaction-scoped advisory lock, so two processes starting at
 * once apply each migration exactly once: the second waits, then sees the new version. Refuses a
 * database written by a newer adapter rather than guessing at its schema.
 */
export async function migratePostgres(pool: Pool): Promise<void> {
  try {
    await inTransaction(pool, async (client) => {
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
      await client.query(`CREATE TABLE IF NOT EXISTS cosync_schema_version (
        version integer PRIMARY KEY,
        description text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const { rows } = await client.query<{ version: number | null }>(
        "SELECT max(version) AS version FROM cosync_schema_version",
      );
      const current = rows[0]?.version ?? 0;
      if (current > POSTGRES_SCHEMA_VERSION) {
        throw new StorageError(
          `postgres: database schema is version ${current}, this adapter knows up to ${POSTGRES_SCHEMA_VERSION}; upgrade cosync`,
        );
      }
      for (const migration of migrations) {
        if (migration.version <= current) continue;
        for (const statement of migration.statements) await client.query(statement);
        await client.query("INSERT INTO cosync_schema_version (version, description) VALUES ($1, $2)", [
          migration.version,
          migration.description,
        ]);
      }
      return { value: undefined, commit: true };
    });
  } catch (error) {
    if (error instanceof StorageError) throw error;
    throw new StorageError(`postgres: schema migration failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
