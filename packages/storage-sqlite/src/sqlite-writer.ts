import { Worker } from "node:worker_threads";
import { StorageError } from "@cosync/core";
import type { SqliteDriver } from "./sqlite-driver.js";
import { runWriteBatch, type WriteOp, type WriteResult } from "./sqlite-writes.js";

/**
 * Where the adapter's writes run. Every write resolves only after the SQLite transaction holding
 * it committed (fsynced in "full" mode); writes commit in the order they were requested.
 */
export interface SqliteWriter {
  /** Resolves with the op's result once committed; rejects if the whole commit failed. */
  write(op: WriteOp): Promise<WriteResult>;
  /** Commits what is queued, then releases the writer. */
  close(): Promise<void>;
  /** Why every write now fails (the writer thread died or failed), or undefined. */
  readonly failure: StorageError | undefined;
}

interface Pending {
  readonly op: WriteOp;
  readonly resolve: (result: WriteResult) => void;
  readonly reject: (error: unknown) => void;
}

const commitFailed = (error: unknown) =>
  error instanceof StorageError
    ? error
    : new StorageError(`sqlite storage: commit failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });

/**
 * Writes on the caller's thread: every write requested before the next turn of the event loop
 * shares one transaction (group commit). Used for ":memory:" databases, which a second
 * connection cannot see.
 */
export class InlineSqliteWriter implements SqliteWriter {
  #pending: Pending[] = [];
  readonly failure = undefined;

  constructor(private readonly driver: SqliteDriver) {}

  write(op: WriteOp): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ op, resolve, reject });
      if (this.#pending.length === 1) setImmediate(() => this.#commit());
    });
  }

  #commit(): void {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    let results: WriteResult[];
    try {
      results = runWriteBatch(this.driver, batch.map((pending) => pending.op));
    } catch (error) {
      for (const { reject } of batch) reject(commitFailed(error));
      return;
    }
    batch.forEach(({ resolve }, index) => {
      resolve(results[index] as WriteResult);
    });
  }

  async close(): Promise<void> {
    this.#commit();
  }
}

/** Messages from the writer worker (sqlite-writer-worker.ts). */
export type WorkerReply =
  | { readonly type: "ready" }
  | { readonly type: "done"; readonly results: WriteResult[] }
  | { readonly type: "failed"; readonly message: string }
  | { readonly type: "closed" };

// Under vitest the adapter runs from its TypeScript sources, which a worker cannot load: the
// worker is always the compiled one (tests build dist first, as the crash test does), and it
// must not inherit the "@cosync/source" resolve condition, which would lead it back to sources.
const fromSources = import.meta.url.endsWith(".ts");
const workerUrl = new URL(fromSources ? "../dist/sqlite-writer-worker.js" : "./sqlite-writer-worker.js", import.meta.url);

/**
 * Writes on a worker thread with its own connection, so inserts, commits and their fsync (and
 * WAL checkpoints) no longer stall the event loop. At most one batch is in flight: what arrives
 * meanwhile waits and goes as the next batch, so a busy writer commits larger groups (fewer
 * fsyncs) and an idle one commits at once.
 */
export class WorkerSqliteWriter implements SqliteWriter {
  #queued: Pending[] = [];
  #inFlight: Pending[] | undefined;
  #failure: StorageError | undefined;
  #sendScheduled = false;
  #onClosed: (() => void) | undefined;
  #onIdle: (() => void) | undefined;

  #onReady: ((error?: StorageError) => void) | undefined;

  get failure(): StorageError | undefined {
    return this.#failure;
  }

  private constructor(private readonly worker: Worker) {
    worker.on("message", (reply: WorkerReply) => this.#onReply(reply));
    worker.on("error", (error) => this.#fail(new StorageError(`sqlite storage: writer thread failed: ${error.message}`, { cause: error })));
    worker.on("exit", (code) => {
      this.#onClosed?.();
      this.#fail(new StorageError(`sqlite storage: writer thread exited (code ${code})`));
    });
  }

  /** Starts the worker on `file` and waits until its connection is open. */
  static async start(file: string, synchronous: "normal" | "full"): Promise<WorkerSqliteWriter> {
    // The worker allocates little that lives (cloned batches, rows): a small young generation keeps
    // its isolate's resident memory down (~5 MB measured) at no risk — unlike an old-space cap,
    // which would kill the writer under a large backlog.
    const options = { workerData: { file, synchronous }, resourceLimits: { maxYoungGenerationSizeMb: 2 } };
    const writer = new WorkerSqliteWriter(new Worker(workerUrl, fromSources ? { ...options, execArgv: [] } : options));
    const failure = await new Promise<StorageError | undefined>((resolve) => {
      writer.#onReady = resolve;
    });
    writer.#onReady = undefined;
    if (failure !== undefined) {
      await writer.worker.terminate();
      throw failure;
    }
    writer.worker.unref(); // referenced only while a batch is in flight (see #send)
    return writer;
  }

  write(op: WriteOp): Promise<WriteResult> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#queued.push({ op, resolve, reject });
      // At the end of this event-loop turn, not at once: writes requested while handling everything
      // the sockets delivered in this turn go as one batch (one postMessage costs ~50 µs of the
      // event loop, measured; a microtask batched only one socket's messages).
      if (this.#inFlight === undefined && !this.#sendScheduled) {
        this.#sendScheduled = true;
        setImmediate(() => this.#send());
      }
    });
  }

  #send(): void {
    this.#sendScheduled = false;
    if (this.#inFlight !== undefined || this.#failure !== undefined) return;
    if (this.#queued.length === 0) {
      this.#onIdle?.();
      return;
    }
    this.#inFlight = this.#queued;
    this.#queued = [];
    this.worker.ref();
    this.worker.postMessage({ type: "write", ops: this.#inFlight.map((pending) => pending.op) });
  }

  #onReply(reply: WorkerReply): void {
    if (this.#onReady !== undefined) {
      this.#onReady(reply.type === "ready" ? undefined : new StorageError(`sqlite storage: writer thread: ${reply.type === "failed" ? reply.message : reply.type}`));
      return;
    }
    if (reply.type === "closed") return;
    const batch = this.#inFlight ?? [];
    this.#inFlight = undefined;
    this.worker.unref();
    if (reply.type === "done") {
      batch.forEach(({ resolve }, index) => {
        resolve(reply.results[index] as WriteResult);
      });
    }
    else if (reply.type === "failed") for (const { reject } of batch) reject(new StorageError(`sqlite storage: commit failed: ${reply.message}`));
    this.#send();
  }

  #fail(error: StorageError): void {
    this.#onReady?.(error);
    if (this.#failure !== undefined) return;
    this.#failure = error;
    for (const { reject } of [...(this.#inFlight ?? []), ...this.#queued]) reject(error);
    this.#inFlight = undefined;
    this.#queued = [];
    this.#onIdle?.();
  }

  async close(): Promise<void> {
    if (this.#inFlight !== undefined || this.#queued.length > 0) {
      await new Promise<void>((resolve) => {
        this.#onIdle = resolve;
        if (this.#inFlight === undefined) this.#send();
      });
    }
    if (this.#failure !== undefined) return;
    this.#failure = new StorageError("sqlite storage: write after close");
    this.worker.ref();
    await new Promise<void>((resolve) => {
      this.#onClosed = resolve;
      this.worker.postMessage({ type: "close" });
    });
  }
}
