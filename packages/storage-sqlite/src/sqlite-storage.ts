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
import { readKnownState, SQL } from "./sqlite-append.js";
import type { SqliteDriver } from "./sqlite-driver.js";
import type { SqliteWriter } from "./sqlite-writer.js";
import type { WriteOp, WriteResult } from "./sqlite-writes.js";

const READ = {
  header: "SELECT row_id, header FROM covalues WHERE id = ?",
  sessions: "SELECT row_id, session_id, count, last_signature, hash_state FROM sessions WHERE covalue = ? ORDER BY row_id",
  checkpoints: "SELECT idx, signature FROM checkpoints WHERE session = ? AND idx >= ? ORDER BY idx",
  transactions: "SELECT tx FROM transactions WHERE session = ? AND idx >= ? AND idx < ? ORDER BY idx",
  unsynced: "SELECT covalue_id, peer_id FROM unsynced_covalues",
  // TEXT compares with the BINARY collation: byte-wise, as listIds promises.
  idsAfter: "SELECT id FROM covalues WHERE id > ? ORDER BY id LIMIT ?",
  counters: "SELECT name, value FROM counters WHERE substr(name, 1, ?) = ?",
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
  #closing: Promise<void> | undefined;
  /** Writes are queued synchronously and committed in request order (see SqliteWriter). */
  readonly appendsInOrder = true;

  /** Reads run on `driver`; every write goes through `writer` (this thread's driver, or a worker). */
  constructor(
    private readonly driver: SqliteDriver,
    private readonly writer: SqliteWriter,
  ) {}

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
   * Appends are group-committed by the writer: appends requested together share one SQLite
   * transaction (so one fsync in "full" mode), each inside its own savepoint so a failing chunk
   * rolls back alone. Every promise resolves only after that commit.
   */
  async append(chunk: AppendChunk): Promise<AppendOutcome> {
    const result = await this.#write({ type: "append", chunk });
    if (result.outcome === undefined) throw new StorageError("sqlite storage: append returned no outcome", { coId: chunk.id });
    return result.outcome;
  }

  async addToCounters(deltas: ReadonlyMap<string, number>): Promise<void> {
    await this.#write({ type: "addToCounters", deltas: [...deltas] });
  }

  async readCounters(prefix: string): Promise<Map<string, number>> {
    return this.#io("readCounters", undefined, () => {
      // LIKE would treat "_" and "%" in names as wildcards: compare the prefix itself.
      const rows = this.driver.all<{ name: string; value: number }>(READ.counters, [prefix.length, prefix]);
      return new Map(rows.map((row) => [row.name, row.value]));
    });
  }

  async markUnsynced(entries: readonly UnsyncedEntry[]): Promise<void> {
    await this.#write({ type: "markUnsynced", entries });
  }

  async clearUnsynced(entries: readonly UnsyncedEntry[]): Promise<void> {
    await this.#write({ type: "clearUnsynced", entries });
  }

  async markDeleted(id: CoId): Promise<void> {
    await this.#write({ type: "markDeleted", id });
  }

  async #write(op: WriteOp): Promise<WriteResult & { ok: true }> {
    if (this.#closed) {
      const coId = op.type === "append" ? op.chunk.id : op.type === "markDeleted" ? op.id : undefined;
      throw new StorageError(`sqlite storage: ${op.type} after close`, coId === undefined ? {} : { coId });
    }
    const result = await this.writer.write(op);
    if (!result.ok) throw new StorageError(result.message, result.coId === undefined ? {} : { coId: result.coId });
    return result;
  }

  async listUnsynced(): Promise<UnsyncedEntry[]> {
    return this.#io("listUnsynced", undefined, () =>
      this.driver.all<{ covalue_id: CoId; peer_id: string }>(READ.unsynced).map((row) => ({ id: row.covalue_id, peerId: row.peer_id })),
    );
  }

  async isDeleted(id: CoId): Promise<boolean> {
    return this.#io("isDeleted", id, () => this.driver.get(SQL.isDeleted, [id]) !== undefined);
  }

  async listIds(after: CoId | undefined, limit: number): Promise<CoId[]> {
    return this.#io("listIds", undefined, () => this.driver.all<{ id: CoId }>(READ.idsAfter, [after ?? "", limit]).map((row) => row.id));
  }

  writeProblem(): string | undefined {
    return this.#closed ? undefined : this.writer.failure?.message;
  }

  /** Commits what was accepted, then closes. Every call resolves once that is done. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      try {
        await this.writer.close();
      } finally {
        this.#io("close", undefined, () => this.driver.close(), true);
      }
    })();
    return this.#closing;
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
