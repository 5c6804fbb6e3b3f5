// Writes verified chunks without waiting for each commit: chunks of one value are appended in
// order (each after the previous committed, unless the store commits in call order anyway), while
// several values' appends are in flight at once. This is what makes a copy run at the store's
// write rate instead of one round trip per chunk.
import type { AppendChunk, CoId, StorageAdapter } from "@cosync/core";

/** A value the target refused because it holds a tombstone for it. */
export interface SkippedDeleted {
  readonly id: CoId;
}

export class AppendPipeline {
  readonly #storage: StorageAdapter;
  readonly #maxInFlight: number;
  readonly #tails = new Map<CoId, Promise<void>>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly skippedDeleted = new Set<CoId>();
  #failure: unknown;

  constructor(storage: StorageAdapter, maxInFlight = 32) {
    this.#storage = storage;
    this.#maxInFlight = maxInFlight;
  }

  /**
   * Queues `chunk`; resolves once there is room for another. Rethrows an earlier append's failure.
   * `onDone` is told once the chunk is settled: stored, or not (the target holds a tombstone for it).
   */
  async submit(chunk: AppendChunk, onDone?: (stored: boolean) => void): Promise<void> {
    this.#throwIfFailed();
    const previous = this.#storage.appendsInOrder === true ? Promise.resolve() : (this.#tails.get(chunk.id) ?? Promise.resolve());
    const appended = previous.then(async () => {
      if (this.skippedDeleted.has(chunk.id)) {
        onDone?.(false);
        return;
      }
      const outcome = await this.#storage.append(chunk);
      if (outcome.type === "Gap") {
        if (!(await this.#storage.isDeleted(chunk.id))) {
          throw new Error(`${chunk.id}: the target refused a piece as a gap (it holds ${JSON.stringify(outcome.knownState.sessions)})`);
        }
        this.skippedDeleted.add(chunk.id);
      }
      onDone?.(outcome.type === "Stored");
    });
    const tracked = appended.catch((error: unknown) => {
      this.#failure ??= error;
    });
    this.#tails.set(chunk.id, tracked);
    this.#inFlight.add(tracked);
    void tracked.finally(() => {
      this.#inFlight.delete(tracked);
      if (this.#tails.get(chunk.id) === tracked) this.#tails.delete(chunk.id);
    });
    while (this.#inFlight.size >= this.#maxInFlight) await Promise.race(this.#inFlight);
    this.#throwIfFailed();
  }

  /** Waits for every queued append of `id` (before a tombstone is written after them). */
  async settle(id: CoId): Promise<void> {
    await this.#tails.get(id);
    this.#throwIfFailed();
  }

  /** Waits for every queued append; rethrows the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.#inFlight);
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}
