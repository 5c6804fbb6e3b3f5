import type { AppendChunk, AppendOutcome, CoId, UnsyncedEntry } from "@cosync/core";
import { appendInTransaction, SQL } from "./sqlite-append.js";
import type { SqliteDriver } from "./sqlite-driver.js";

// Every write of the adapter as plain data, so the same code runs on the caller's thread or in
// the writer worker (sqlite-writer-worker.ts), where it arrives by structured clone.

/** One write request. */
export type WriteOp =
  | { readonly type: "append"; readonly chunk: AppendChunk }
  | { readonly type: "markUnsynced" | "clearUnsynced"; readonly entries: readonly UnsyncedEntry[] }
  | { readonly type: "markDeleted"; readonly id: CoId }
  | { readonly type: "addToCounters"; readonly deltas: ReadonlyArray<readonly [string, number]> };

/** What one write op came to: an append's outcome, done, or its error's message. */
export type WriteResult =
  | { readonly ok: true; readonly outcome?: AppendOutcome }
  | { readonly ok: false; readonly message: string; readonly coId?: CoId };

const WRITE = {
  markUnsynced: "INSERT OR IGNORE INTO unsynced_covalues (covalue_id, peer_id) VALUES (?, ?)",
  clearUnsynced: "DELETE FROM unsynced_covalues WHERE covalue_id = ? AND peer_id = ?",
  addToCounter: "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
  tombstone: "INSERT OR IGNORE INTO deleted_covalues (covalue_id) VALUES (?)",
  // Delete sessions end in "$" (cojson checks only that character); they survive deletion.
  eraseTransactions:
    "DELETE FROM transactions WHERE session IN (SELECT row_id FROM sessions WHERE covalue = ? AND substr(session_id, -1) <> '$')",
  eraseCheckpoints:
    "DELETE FROM checkpoints WHERE session IN (SELECT row_id FROM sessions WHERE covalue = ? AND substr(session_id, -1) <> '$')",
  eraseSessions: "DELETE FROM sessions WHERE covalue = ? AND substr(session_id, -1) <> '$'",
} as const;

/**
 * Runs `ops` in one SQLite transaction (so one fsync in "full" mode), each inside its own
 * savepoint so a failing op rolls back alone. Throws only if the transaction itself fails (then
 * nothing of the batch is committed); returns once the commit is done.
 */
export function runWriteBatch(driver: SqliteDriver, ops: readonly WriteOp[]): WriteResult[] {
  return driver.transaction(() => ops.map((op) => runInSavepoint(driver, op)));
}

function runInSavepoint(driver: SqliteDriver, op: WriteOp): WriteResult {
  driver.run("SAVEPOINT cosync_write");
  try {
    const outcome = runOp(driver, op);
    driver.run("RELEASE cosync_write");
    return outcome === undefined ? { ok: true } : { ok: true, outcome };
  } catch (error) {
    driver.run("ROLLBACK TO cosync_write");
    driver.run("RELEASE cosync_write");
    const message = `sqlite storage: ${op.type} failed: ${error instanceof Error ? error.message : String(error)}`;
    const coId = op.type === "append" ? op.chunk.id : op.type === "markDeleted" ? op.id : undefined;
    return coId === undefined ? { ok: false, message } : { ok: false, message, coId };
  }
}

function runOp(driver: SqliteDriver, op: WriteOp): AppendOutcome | undefined {
  switch (op.type) {
    case "append": {
      const { gap, knownState } = appendInTransaction(driver, op.chunk);
      return gap ? { type: "Gap", knownState } : { type: "Stored", knownState };
    }
    case "markUnsynced":
    case "clearUnsynced":
      for (const entry of op.entries) driver.run(WRITE[op.type], [entry.id, entry.peerId]);
      return undefined;
    case "addToCounters":
      for (const [name, delta] of op.deltas) driver.run(WRITE.addToCounter, [name, delta]);
      return undefined;
    case "markDeleted": {
      driver.run(WRITE.tombstone, [op.id]);
      const coValue = driver.get<{ row_id: number }>(SQL.coValueRow, [op.id]);
      if (coValue === undefined) return undefined;
      driver.run(WRITE.eraseTransactions, [coValue.row_id]);
      driver.run(WRITE.eraseCheckpoints, [coValue.row_id]);
      driver.run(WRITE.eraseSessions, [coValue.row_id]);
      return undefined;
    }
  }
}
