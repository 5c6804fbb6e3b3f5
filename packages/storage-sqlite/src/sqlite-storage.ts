import {
  type AppendChunk,
  type AppendOutcome,
  type CoId,
  type CoValueHeader,
  type KnownState,
  type LoadSegment,
  packStoredPieces,
  planLoadSegments,
  type SessionId,
  type Signature,
  type StorageAdapter,
  StorageError,
  type StoredCoValueSummary,
  type StoredPiece,
  type StoredSessionExtent,
  type StoredSessionSummary,
  type UnsyncedEntry,
} from "@cosync/core";
import { appendInTransaction, readKnownState, SQL } from "./sqlite-append.js";
import type { SqliteDriver } from "./sqlite-driver.js";

const READ = {
  header: "SELECT row_id, header FROM covalues WHERE id = ?",
  sessions: "SELECT row_id, session_id, count, last_signature, hash_state FROM sessions WHERE covalue = ? ORDER BY row_id",
  checkpoints: "SELECT idx, signature FROM checkpoints WHERE session = ? AND idx >= ? ORDER BY idx",
  transactions: "SELECT tx FROM transactions WHERE session = ? AND idx >= ? AND idx < ? ORDER BY idx",
  unsynced: "SELECT covalue_id, peer_id FROM unsynced_covalues",
} as const;

const WRITE = {
  markUnsynced: "INSERT OR IGNORE INTO unsynced_covalues (covalue_id, peer_id) VALUES (?, ?)",
  clearUnsynced: "DELETE FROM unsynced_covalues WHERE covalue_id = ? AND peer_id = ?",
  tombstone: "INSERT OR IGNORE INTO deleted_covalues (covalue_id) VALUES (?)",
  // Delete sessions end in "$" (cojson checks only that character); they survive deletion.
  eraseTransactions:
    "DELETE FROM transactions WHERE session IN (SELECT row_id FROM sessions WHERE covalue = ? AND substr(session_id, -1) <> '$')",
  eraseCheckpoints:
    "DELETE FROM checkpoints WHERE session IN (SELECT row_id FROM sessions WHERE covalue = ? AND substr(session_id, -1) <> '$')",
  eraseSessions: "DELETE FROM sessions WHERE covalue = ? AND substr(session_id, -1) <> '$'",
} as const;

interface SessionRow {
  readonly row_id: number;
  readonly session_id: SessionId;
  readonly count: number;
  readonly last_signature: Signature;
  readonly hash_state: Uint8Array | null;
}

/** A StorageAdapter over a SqliteDriver whose schema is migrated (see `openSqliteStorage`). */
export class SqliteStorage implements StorageAdapter {
  #closed = false;
  readonly #pending: Array<{
    readonly chunk: AppendChunk;
    readonly resolve: (outcome: AppendOutcome) => void;
    readonly reject: (error: unknown) => void;
  }> = [];

  constructor(private readonly driver: SqliteDriver) {}

  async knownState(id: CoId): Promise<KnownState | undefined> {
    return this.#io("knownState", id, () => readKnownState(this.driver, id));
  }

  async summary(id: CoId): Promise<StoredCoValueSummary | undefined> {
    return this.#io("summary", id, () => {
      const coValue = this.driver.get<{ row_id: number; header: string }>(READ.header, [id]);
      if (coValue === undefined) return undefined;
      const sessions: Record<SessionId, StoredSessionSummary> = {};
      for (const row of this.driver.all<SessionRow>(READ.sessions, [coValue.row_id])) {
        const base = { count: row.count, lastSignature: row.last_signature };
        // Copy out of the driver's Buffer: callers get a plain Uint8Array they own.
        sessions[row.session_id] = row.hash_state === null ? base : { ...base, hashState: new Uint8Array(row.hash_state) };
      }
      return { header: JSON.parse(coValue.header) as CoValueHeader, sessions };
    });
  }

  async *load(id: CoId, since?: KnownState): AsyncGenerator<StoredPiece> {
    // Header, session rows and checkpoints are read together, synchronously, so the plan is one
    // consistent snapshot; transactions are read per segment as the caller pulls, and logs are
    // append-only, so those ranges still hold unless markDeleted erased them meanwhile.
    const plan = this.#io("load", id, () => {
      const coValue = this.driver.get<{ row_id: number; header: string }>(READ.header, [id]);
      if (coValue === undefined) return undefined;
      const rowIds = new Map<SessionId, number>();
      const extents: StoredSessionExtent[] = [];
      for (const row of this.driver.all<SessionRow>(READ.sessions, [coValue.row_id])) {
        const from = since?.sessions[row.session_id] ?? 0;
        if (row.count <= from) continue;
        rowIds.set(row.session_id, row.row_id);
        const checkpoints = this.driver.all<{ idx: number; signature: Signature }>(READ.checkpoints, [row.row_id, from]);
        extents.push({ sessionId: row.session_id, count: row.count, lastSignature: row.last_signature, checkpoints });
      }
      const header = since?.header ? undefined : (JSON.parse(coValue.header) as CoValueHeader);
      return { header, rowIds, segments: planLoadSegments(extents, since?.sessions) };
    });
    if (plan === undefined) return;
    const read = async (segment: LoadSegment) =>
      this.#io("load", id, () =>
        this.driver
          .all<{ tx: string }>(READ.transactions, [plan.rowIds.get(segment.sessionId) ?? -1, segment.after, segment.after + segment.count])
          .map((row) => row.tx),
      );
    yield* packStoredPieces(id, plan.header, plan.segments, read);
  }

  /**
   * Appends are group-committed: every append requested before the next turn of the event loop
   * shares one SQLite transaction (so one fsync in "full" mode), each inside its own savepoint so
   * a failing chunk rolls back alone. Every promise resolves only after that commit.
   */
  append(chunk: AppendChunk): Promise<AppendOutcome> {
    if (this.#closed) return Promise.reject(new StorageError("sqlite storage: append after close", { coId: chunk.id }));
    return new Promise((resolve, reject) => {
      this.#pending.push({ chunk, resolve, reject });
      if (this.#pending.length === 1) setImmediate(() => this.#commitPending());
    });
  }

  #commitPending(): void {
    const batch = this.#pending.splice(0);
    if (batch.length === 0) return;
    const results: Array<{ outcome?: AppendOutcome; error?: unknown }> = [];
    try {
      this.#io("append", batch.length === 1 ? batch[0]?.chunk.id : undefined, () =>
        this.driver.transaction(() => {
          for (const { chunk } of batch) results.push(this.#appendInSavepoint(chunk));
        }),
      );
    } catch (error) {
      for (const { reject } of batch) reject(error);
      return;
    }
    batch.forEach(({ resolve, reject }, index) => {
      const result = results[index];
      if (result?.outcome !== undefined) resolve(result.outcome);
      else reject(result?.error);
    });
  }

  #appendInSavepoint(chunk: AppendChunk): { outcome?: AppendOutcome; error?: unknown } {
    this.driver.run("SAVEPOINT cosync_append");
    try {
      const { gap, knownState } = appendInTransaction(this.driver, chunk);
      this.driver.run("RELEASE cosync_append");
      return { outcome: gap ? { type: "Gap", knownState } : { type: "Stored", knownState } };
    } catch (error) {
      this.driver.run("ROLLBACK TO cosync_append");
      this.driver.run("RELEASE cosync_append");
      const message = error instanceof Error ? error.message : String(error);
      return { error: new StorageError(`sqlite storage: append failed: ${message}`, { cause: error, coId: chunk.id }) };
    }
  }

  async markUnsynced(entries: readonly UnsyncedEntry[]): Promise<void> {
    this.#io("markUnsynced", undefined, () =>
      this.driver.transaction(() => {
        for (const entry of entries) this.driver.run(WRITE.markUnsynced, [entry.id, entry.peerId]);
      }),
    );
  }

  async clearUnsynced(entries: readonly UnsyncedEntry[]): Promise<void> {
    this.#io("clearUnsynced", undefined, () =>
      this.driver.transaction(() => {
        for (const entry of entries) this.driver.run(WRITE.clearUnsynced, [entry.id, entry.peerId]);
      }),
    );
  }

  async listUnsynced(): Promise<UnsyncedEntry[]> {
    return this.#io("listUnsynced", undefined, () =>
      this.driver.all<{ covalue_id: CoId; peer_id: string }>(READ.unsynced).map((row) => ({ id: row.covalue_id, peerId: row.peer_id })),
    );
  }

  async markDeleted(id: CoId): Promise<void> {
    this.#io("markDeleted", id, () =>
      this.driver.transaction(() => {
        this.driver.run(WRITE.tombstone, [id]);
        const coValue = this.driver.get<{ row_id: number }>(SQL.coValueRow, [id]);
        if (coValue === undefined) return;
        this.driver.run(WRITE.eraseTransactions, [coValue.row_id]);
        this.driver.run(WRITE.eraseCheckpoints, [coValue.row_id]);
        this.driver.run(WRITE.eraseSessions, [coValue.row_id]);
      }),
    );
  }

  async isDeleted(id: CoId): Promise<boolean> {
    return this.#io("isDeleted", id, () => this.driver.get(SQL.isDeleted, [id]) !== undefined);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#commitPending();
    this.#closed = true;
    this.#io("close", undefined, () => this.driver.close(), true);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Runs one synchronous DB step, turning driver failures into StorageErrors with `cause`. */
  #io<T>(operation: string, coId: CoId | undefined, body: () => T, closing = false): T {
    if (this.#closed && !closing) throw new StorageError(`sqlite storage: ${operation} after close`, coId === undefined ? {} : { coId });
    try {
      return body();
    } catch (error) {
      if (error instanceof StorageError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new StorageError(`sqlite storage: ${operation} failed: ${message}`, coId === undefined ? { cause: error } : { cause: error, coId });
    }
  }
}
