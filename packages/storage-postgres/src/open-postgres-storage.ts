import {
  type AppendChunk,
  appendPieceProblem,
  type AppendOutcome,
  type CoId,
  isDeleteSessionId,
  type KnownState,
  StorageError,
  type StorageAdapter,
  type StoredCoValueSummary,
  type StoredPiece,
  transactionTextProblem,
  type UnsyncedEntry,
} from "@cosync/core";
import pg from "pg";
import { describeConnectFailure, type PostgresTarget, postgresUrlProblem } from "./connection-problem.js";
import { appendInTransaction } from "./postgres-append.js";
import { tryFastAppend } from "./postgres-fast-append.js";
import { migratePostgres } from "./postgres-migrations.js";
import { loadPieces, readKnownState, readSummary } from "./postgres-reads.js";
import { inTransaction } from "./postgres-transaction.js";
import { SessionCache } from "./session-cache.js";

/** Where the Postgres adapter keeps its data: a connection URL (it owns a pool) or the caller's pool. */
export type PostgresStorageOptions =
  | {
      readonly url: string;
      readonly maxConnections?: number;
      /**
       * Called when an idle pooled connection fails (server restart, network cut). Such errors
       * would otherwise crash the process; the next call needing a connection also rejects with a
       * StorageError, so this hook is for logging and metrics.
       */
      readonly onConnectionError?: (error: Error) => void;
    }
  | { readonly pool: pg.Pool };

/**
 * Opens CoValue storage in a PostgreSQL database, migrating its schema first.
 *
 * Any number of processes may share one database: appends lock the session rows they extend, so
 * concurrent writers to one session never interleave. A pool passed in stays the caller's and is
 * not ended by `close()`.
 */
export async function openPostgresStorage(options: PostgresStorageOptions): Promise<StorageAdapter> {
  const owned = "url" in options;
  if (owned && typeof options.url !== "string") throw new TypeError("options.url: expected a postgres:// URL string");
  const urlProblem = owned ? postgresUrlProblem(options.url) : undefined;
  if (urlProblem !== undefined) throw new TypeError(urlProblem);
  const pool = owned ? new pg.Pool({ connectionString: options.url, max: options.maxConnections ?? 10 }) : options.pool;
  // A caller's pool has the caller's error listener; ours must have one or an idle connection's
  // failure is an uncaught 'error' event.
  if (owned) pool.on("error", (error: Error) => options.onConnectionError?.(error));
  try {
    // Connecting on its own first tells "cannot reach the database" apart from "cannot migrate it".
    await checkConnection(pool, owned ? options.url : undefined);
    await migratePostgres(pool);
  } catch (error) {
    if (owned) await pool.end().catch(() => undefined);
    throw error;
  }
  return new PostgresStorage(pool, owned);
}

async function checkConnection(pool: pg.Pool, url: string | undefined): Promise<void> {
  try {
    (await pool.connect()).release();
  } catch (error) {
    throw new StorageError(describeConnectFailure(error, targetOf(pool, url)), { cause: error });
  }
}

function targetOf(pool: pg.Pool, url: string | undefined): PostgresTarget {
  // A Client resolves URL, PG* variables and defaults as the pool's connections do, without connecting.
  const resolved = new pg.Client(pool.options);
  const urlUser = url === undefined ? "" : decodeURIComponent(new URL(url).username);
  return { host: resolved.host, port: resolved.port, database: resolved.database, urlUser: urlUser === "" ? undefined : urlUser };
}

class PostgresStorage implements StorageAdapter {
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #sessions = new SessionCache();

  constructor(
    private readonly pool: pg.Pool,
    private readonly ownsPool: boolean,
  ) {}

  knownState(id: CoId): Promise<KnownState | undefined> {
    return this.#run(`knownState(${id})`, id, () => readKnownState(this.pool, id));
  }

  summary(id: CoId): Promise<StoredCoValueSummary | undefined> {
    return this.#run(`summary(${id})`, id, () => readSummary(this.pool, id));
  }

  async *load(id: CoId, since?: KnownState): AsyncIterable<StoredPiece> {
    this.#assertOpen();
    const pieces = loadPieces(this.pool, id, since);
    try {
      for (;;) {
        const next = await this.#run(`load(${id})`, id, () => pieces.next());
        if (next.done === true) return;
        yield next.value;
      }
    } finally {
      await pieces.return(undefined);
    }
  }

  append(chunk: AppendChunk): Promise<AppendOutcome> {
    return this.#run(`append(${chunk.id})`, chunk.id, async () => {
      assertWellFormed(chunk);
      const fast = await tryFastAppend(this.pool, this.#sessions, chunk);
      if (fast !== undefined) return fast;
      const { outcome, sessions } = await inTransaction(this.pool, (client) => appendInTransaction(client, chunk));
      // Only after the commit: what the next append of these sessions may assume.
      for (const [sessionId, session] of sessions) this.#sessions.set(chunk.id, sessionId, session);
      return outcome;
    });
  }

  addToCounters(deltas: ReadonlyMap<string, number>): Promise<void> {
    return this.#run("addToCounters", undefined, async () => {
      if (deltas.size === 0) return;
      await this.pool.query(
        `INSERT INTO cosync_counters (name, value) SELECT * FROM unnest($1::text[], $2::bigint[])
         ON CONFLICT (name) DO UPDATE SET value = cosync_counters.value + excluded.value`,
        [[...deltas.keys()], [...deltas.values()]],
      );
    });
  }

  readCounters(prefix: string): Promise<Map<string, number>> {
    return this.#run("readCounters", undefined, async () => {
      const { rows } = await this.pool.query<{ name: string; value: string }>(
        "SELECT name, value FROM cosync_counters WHERE left(name, $1) = $2",
        [prefix.length, prefix],
      );
      return new Map(rows.map((row) => [row.name, Number(row.value)]));
    });
  }

  markUnsynced(entries: readonly UnsyncedEntry[]): Promise<void> {
    return this.#run("markUnsynced", undefined, async () => {
      if (entries.length === 0) return;
      await this.pool.query(
        `INSERT INTO cosync_unsynced (covalue, peer_id) SELECT * FROM unnest($1::text[], $2::text[])
         ON CONFLICT DO NOTHING`,
        [entries.map((entry) => entry.id), entries.map((entry) => entry.peerId)],
      );
    });
  }

  clearUnsynced(entries: readonly UnsyncedEntry[]): Promise<void> {
    return this.#run("clearUnsynced", undefined, async () => {
      if (entries.length === 0) return;
      await this.pool.query(
        `DELETE FROM cosync_unsynced u USING unnest($1::text[], $2::text[]) AS e(covalue, peer_id)
         WHERE u.covalue = e.covalue AND u.peer_id = e.peer_id`,
        [entries.map((entry) => entry.id), entries.map((entry) => entry.peerId)],
      );
    });
  }

  listUnsynced(): Promise<UnsyncedEntry[]> {
    return this.#run("listUnsynced", undefined, async () => {
      const { rows } = await this.pool.query<{ covalue: CoId; peer_id: string }>(
        "SELECT covalue, peer_id FROM cosync_unsynced ORDER BY covalue, peer_id",
      );
      return rows.map((row) => ({ id: row.covalue, peerId: row.peer_id }));
    });
  }

  markDeleted(id: CoId): Promise<void> {
    return this.#run(`markDeleted(${id})`, id, () =>
      inTransaction(this.pool, async (client) => {
        // The CoValue row lock waits for slow-path appends in flight (they hold KEY SHARE) and
        // blocks new ones; the session row locks wait for fast-path appends (single UPDATEs). Only
        // then, in later statements that see what those appends committed, are the rows erased,
        // so no append can leave rows behind for a session that no longer exists.
        await client.query(
          `INSERT INTO cosync_covalues (id, header, deleted) VALUES ($1, NULL, true)
           ON CONFLICT (id) DO UPDATE SET deleted = true`,
          [id],
        );
        await client.query("SELECT 1 FROM cosync_covalues WHERE id = $1 FOR UPDATE", [id]);
        const { rows } = await client.query<{ row_id: string; session_id: string }>(
          "SELECT row_id, session_id FROM cosync_sessions WHERE covalue = $1 ORDER BY session_id FOR UPDATE",
          [id],
        );
        const erase = rows.filter((row) => !isDeleteSessionId(row.session_id)).map((row) => row.row_id);
        if (erase.length > 0) {
          await client.query("DELETE FROM cosync_transactions WHERE session = ANY($1::bigint[])", [erase]);
          await client.query("DELETE FROM cosync_checkpoints WHERE session = ANY($1::bigint[])", [erase]);
          await client.query("DELETE FROM cosync_sessions WHERE row_id = ANY($1::bigint[])", [erase]);
        }
        return { value: undefined, commit: true };
      }),
    );
  }

  isDeleted(id: CoId): Promise<boolean> {
    return this.#run(`isDeleted(${id})`, id, async () => {
      const { rows } = await this.pool.query<{ deleted: boolean }>("SELECT deleted FROM cosync_covalues WHERE id = $1", [id]);
      return rows[0]?.deleted === true;
    });
  }

  listIds(after: CoId | undefined, limit: number): Promise<CoId[]> {
    return this.#run("listIds", undefined, async () => {
      // A tombstone written before its value was stored has no header: not a stored CoValue.
      const { rows } = await this.pool.query<{ id: CoId }>(
        "SELECT id FROM cosync_covalues WHERE id > $1 AND header IS NOT NULL ORDER BY id LIMIT $2",
        [after ?? "", limit],
      );
      return rows.map((row) => row.id);
    });
  }

  /** Lets calls already started finish, then releases the pool. Every call resolves once that is done. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      // Let calls already started finish (their promises settle) before the connections go.
      await Promise.allSettled([...this.#inFlight]);
      if (this.ownsPool) await this.pool.end();
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new StorageError("postgres storage is closed");
  }

  // Every call: reject after close, wrap database failures in StorageError with the cause.
  #run<T>(what: string, id: CoId | undefined, body: () => Promise<T>): Promise<T> {
    const where = id === undefined ? {} : { coId: id };
    if (this.#closed) return Promise.reject(new StorageError(`postgres storage is closed (${what})`, where));
    const call = body().catch((cause: unknown) => {
      if (cause instanceof StorageError) throw cause;
      const message = cause instanceof Error ? cause.message : String(cause);
      throw new StorageError(`postgres: ${what} failed: ${message}`, { cause, ...where });
    });
    const settled: Promise<unknown> = call.then(
      () => this.#inFlight.delete(settled),
      () => this.#inFlight.delete(settled),
    );
    this.#inFlight.add(settled);
    return call;
  }
}

// A malformed chunk is a caller bug; refusing it before the transaction keeps the append atomic.
function assertWellFormed(chunk: AppendChunk): void {
  for (const [sessionId, piece] of Object.entries(chunk.sessions)) {
    const problem = appendPieceProblem(sessionId, piece);
    if (problem !== undefined) throw new StorageError(`append: ${problem}`, { coId: chunk.id });
    for (const [index, tx] of piece.transactions.entries()) {
      const txProblem = transactionTextProblem(sessionId, index, tx);
      if (txProblem !== undefined) throw new StorageError(`append: ${txProblem}`, { coId: chunk.id });
    }
  }
}
