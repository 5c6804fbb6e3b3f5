import { dirname } from "node:path";
import { type StorageAdapter, StorageError } from "@cosync/core";
import { openBetterSqlite3Driver } from "./better-sqlite3-driver.js";
import { migrateSqliteSchema } from "./migrations.js";
import type { SqliteDriver } from "./sqlite-driver.js";
import { SqliteStorage } from "./sqlite-storage.js";
import { InlineSqliteWriter, WorkerSqliteWriter } from "./sqlite-writer.js";

/** Options of `openSqliteStorage`. */
export interface SqliteStorageOptions {
  /** Path of the database file (created if missing), or ":memory:" for a private in-memory database. */
  readonly file: string;
  /**
   * When a commit counts as durable. Default "full".
   *
   * - "full": every commit fsyncs the WAL before `append` resolves, so an acknowledged append
   *   survives process crashes, OS crashes and power loss. This is what the server's promise
   *   ("acks only after data is durable; nothing acked is ever lost") needs, and why it is the
   *   default. Cost: ~150 µs per commit on this machine (measured on our 2-core machines, bench/storage.mjs: 50-row appends 125 k vs
   *   240 k rows/s, single-row commits 6.6 k vs 38 k/s).
   * - "normal": WAL is fsynced only at checkpoints. A process crash (SIGKILL) still loses nothing
   *   committed — the WAL is in the OS page cache — but an OS crash or power cut can lose the last
   *   commits (never corrupt the file). Fine for caches, clients that re-sync from a server, or
   *   servers behind replicated disks.
   */
  readonly synchronous?: "normal" | "full";
  /**
   * Where writes (inserts, commits, their fsync, WAL checkpoints) run. Default "worker" for a
   * file: a worker thread with its own connection, so the event loop keeps parsing, verifying and
   * relaying while a commit waits for the disk; reads stay on the caller's thread. "inline" runs
   * them on the caller's thread; ":memory:" databases always do (a second connection cannot see them).
   */
  readonly writer?: "worker" | "inline";
}

/**
 * Opens (creating and migrating as needed) SQLite storage in WAL mode on better-sqlite3.
 * Rejects with a StorageError if the file cannot be opened or was written by a newer schema.
 */
export async function openSqliteStorage(options: SqliteStorageOptions): Promise<StorageAdapter> {
  const synchronous = options.synchronous ?? "full";
  if (typeof options.file !== "string" || options.file === "") throw new TypeError("options.file: expected a file path or \":memory:\"");
  if (synchronous !== "normal" && synchronous !== "full") throw new TypeError(`options.synchronous: expected "normal" or "full", got ${String(synchronous)}`);
  const writer = options.writer ?? (options.file === ":memory:" ? "inline" : "worker");
  if (writer !== "worker" && writer !== "inline") throw new TypeError(`options.writer: expected "worker" or "inline", got ${String(writer)}`);
  if (writer === "worker" && options.file === ":memory:") throw new TypeError('options.writer: a ":memory:" database needs writer "inline"');
  let driver: SqliteDriver | undefined;
  try {
    driver = openBetterSqlite3Driver(options.file);
    configure(driver, options.file, synchronous);
    migrateSqliteSchema(driver);
    // The worker opens its own connection only now, on the migrated schema.
    return new SqliteStorage(driver, writer === "inline" ? new InlineSqliteWriter(driver) : await WorkerSqliteWriter.start(options.file, synchronous));
  } catch (error) {
    driver?.close();
    if (error instanceof StorageError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new StorageError(`cannot open SQLite storage at ${options.file}: ${message}${hintFor(error, options.file)}`, { cause: error });
  }
}

// SQLite's messages name neither the file nor what to do; these are the start-up failures people hit.
function hintFor(error: unknown, file: string): string {
  switch ((error as { code?: unknown }).code) {
    case "SQLITE_NOTADB":
      return " (the file exists but is not a SQLite database: choose another path, or move the file away)";
    case "SQLITE_CANTOPEN":
      return ` (may this user create files in ${dirname(file)}?)`;
    case "SQLITE_READONLY":
      return " (the file or its directory is read-only for this user)";
    default:
      return "";
  }
}

function configure(driver: SqliteDriver, file: string, synchronous: "normal" | "full"): void {
  // Another process (a CLI `inspect`, a second server during a rolling restart) may hold the
  // write lock briefly; wait for it rather than fail.
  driver.run("PRAGMA busy_timeout = 5000");
  const mode = driver.get<{ journal_mode: string }>("PRAGMA journal_mode = WAL")?.journal_mode;
  // The durability reasoning above assumes WAL; ":memory:" databases cannot use it and need not.
  if (file !== ":memory:" && mode !== "wal") throw new StorageError(`SQLite refused WAL mode for ${file} (journal_mode=${mode})`);
  driver.run(`PRAGMA synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"}`);
}
