import {
  type AppendChunk,
  type AppendOutcome,
  appendPieceProblem,
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
import { APPEND_STORES, appendInTransaction } from "./idb-append.js";
import { loadPieces, readKnownState, readSummary } from "./idb-reads.js";
import { inIdbTransaction, requestResult } from "./idb-requests.js";
import {
  type IdbContext,
  INDEXEDDB_SCHEMA_VERSION,
  rowsOf,
  SESSIONS_BY_COVALUE,
  type SessionRecord,
  Stores,
  sessionsOf,
  upgradeSchema,
} from "./idb-schema.js";

/** Where the IndexedDB adapter keeps its data. */
export interface IndexedDbStorageOptions {
  /** Database name; one per app (or per account) in an origin. */
  readonly name: string;
  /** The IndexedDB factory; `globalThis.indexedDB` if absent (tests pass fake-indexeddb's). */
  readonly indexedDB?: IDBFactory;
  /** IDBKeyRange of the same implementation as `indexedDB`; `globalThis.IDBKeyRange` if absent. */
  readonly IDBKeyRange?: typeof IDBKeyRange;
}

/**
 * Opens CoValue storage in an IndexedDB database of the browser, creating or upgrading its
 * object stores first.
 *
 * If another tab opens the same database with a newer schema, this connection closes itself so
 * the upgrade can proceed; later calls reject with a StorageError.
 */
export async function openIndexedDbStorage(options: IndexedDbStorageOptions): Promise<StorageAdapter> {
  if (typeof options?.name !== "string" || options.name === "") throw new TypeError("options.name: expected a database name");
  const factory = options.indexedDB ?? globalThis.indexedDB;
  const keyRange = options.IDBKeyRange ?? globalThis.IDBKeyRange;
  if (factory === undefined || keyRange === undefined) {
    throw new StorageError("indexeddb: no IndexedDB in this environment; pass options.indexedDB and options.IDBKeyRange");
  }
  let db: IDBDatabase;
  try {
    const request = factory.open(options.name, INDEXEDDB_SCHEMA_VERSION);
    request.onupgradeneeded = (event) => upgradeSchema(request.result, event.oldVersion);
    db = await requestResult(request);
  } catch (cause) {
    throw new StorageError(`indexeddb: could not open database ${JSON.stringify(options.name)}`, { cause });
  }
  return new IndexedDbStorage({ db, keyRange });
}

class IndexedDbStorage implements StorageAdapter {
  #closed: string | undefined;

  private readonly db: IDBDatabase;

  constructor(private readonly ctx: IdbContext) {
    this.db = ctx.db;
    ctx.db.onversionchange = () => {
      this.#closed = "closed: another connection upgraded the database";
      ctx.db.close();
    };
  }

  knownState(id: CoId): Promise<KnownState | undefined> {
    return this.#run("knownState", id, () => readKnownState(this.ctx, id));
  }

  summary(id: CoId): Promise<StoredCoValueSummary | undefined> {
    return this.#run("summary", id, () => readSummary(this.ctx, id));
  }

  async *load(id: CoId, since?: KnownState): AsyncIterable<StoredPiece> {
    const pieces = loadPieces(this.ctx, id, since);
    try {
      for (;;) {
        const next = await this.#run("load", id, () => pieces.next());
        if (next.done === true) return;
        yield next.value;
      }
    } finally {
      await pieces.return(undefined);
    }
  }

  append(chunk: AppendChunk): Promise<AppendOutcome> {
    return this.#run("append", chunk.id, () => {
      assertWellFormed(chunk);
      return inIdbTransaction(this.db, APPEND_STORES, "readwrite", (tx) => appendInTransaction(this.ctx, tx, chunk));
    });
  }

  markUnsynced(entries: readonly UnsyncedEntry[]): Promise<void> {
    return this.#run("markUnsynced", undefined, () =>
      inIdbTransaction(this.db, [Stores.unsynced], "readwrite", async (tx) => {
        const store = tx.objectStore(Stores.unsynced);
        await Promise.all(entries.map((entry) => requestResult(store.put({ id: entry.id, peerId: entry.peerId }, [entry.id, entry.peerId]))));
      }),
    );
  }

  clearUnsynced(entries: readonly UnsyncedEntry[]): Promise<void> {
    return this.#run("clearUnsynced", undefined, () =>
      inIdbTransaction(this.db, [Stores.unsynced], "readwrite", async (tx) => {
        const store = tx.objectStore(Stores.unsynced);
        await Promise.all(entries.map((entry) => requestResult(store.delete([entry.id, entry.peerId]))));
      }),
    );
  }

  listUnsynced(): Promise<UnsyncedEntry[]> {
    return this.#run("listUnsynced", undefined, () =>
      inIdbTransaction(this.db, [Stores.unsynced], "readonly", (tx) =>
        requestResult(tx.objectStore(Stores.unsynced).getAll() as IDBRequest<UnsyncedEntry[]>),
      ),
    );
  }

  markDeleted(id: CoId): Promise<void> {
    const stores = [Stores.deleted, Stores.sessions, Stores.transactions, Stores.checkpoints];
    return this.#run("markDeleted", id, () =>
      inIdbTransaction(this.db, stores, "readwrite", async (tx) => {
        tx.objectStore(Stores.deleted).put(true, id);
        const index = tx.objectStore(Stores.sessions).index(SESSIONS_BY_COVALUE);
        const sessions = (await requestResult(index.getAll(sessionsOf(this.ctx, id)))) as SessionRecord[];
        const erased = sessions.filter((session) => !isDeleteSessionId(session.sessionId));
        await Promise.all(
          erased.flatMap((session) => [
            requestResult(tx.objectStore(Stores.sessions).delete(session.key)),
            requestResult(tx.objectStore(Stores.transactions).delete(rowsOf(this.ctx, session.key))),
            requestResult(tx.objectStore(Stores.checkpoints).delete(rowsOf(this.ctx, session.key))),
          ]),
        );
      }),
    );
  }

  isDeleted(id: CoId): Promise<boolean> {
    return this.#run("isDeleted", id, () =>
      inIdbTransaction(this.db, [Stores.deleted], "readonly", async (tx) => (await requestResult(tx.objectStore(Stores.deleted).get(id))) !== undefined),
    );
  }

  async close(): Promise<void> {
    if (this.#closed !== undefined) return;
    this.#closed = "closed";
    // IndexedDB lets transactions already started finish before the connection goes.
    this.db.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // Every call: reject after close; wrap IndexedDB failures (DOMExceptions) in StorageError.
  async #run<T>(what: string, id: CoId | undefined, body: () => Promise<T>): Promise<T> {
    const where = id === undefined ? {} : { coId: id };
    if (this.#closed !== undefined) throw new StorageError(`indexeddb storage is ${this.#closed} (${what})`, where);
    try {
      return await body();
    } catch (cause) {
      if (cause instanceof StorageError) throw cause;
      const message = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
      throw new StorageError(`indexeddb: ${what} failed: ${message}`, { cause, ...where });
    }
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
