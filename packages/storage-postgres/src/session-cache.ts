import type { CoId, SessionId } from "@cosync/core";

/** What this process last saw of a session row: enough to attempt an append without reading first. */
export interface CachedSession {
  readonly rowId: string;
  readonly count: number;
  /** Transaction text stored since the last checkpoint, as core's `transactionTextSize` counts it. */
  readonly bytesSinceCheckpoint: number;
}

/**
 * A bounded map from (CoValue, session) to the session row as this process last wrote or read it.
 *
 * Only a hint: another process may have appended since. The fast append path writes only when the
 * row still has exactly the cached count (checked by the UPDATE itself under its row lock), so a
 * stale entry costs one wasted round trip, never a wrong write.
 */
export class SessionCache {
  readonly #entries = new Map<string, CachedSession>();

  constructor(private readonly capacity = 10_000) {}

  get(id: CoId, sessionId: SessionId): CachedSession | undefined {
    const key = `${id} ${sessionId}`;
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      // Re-insert so Map order is least-recently-used first.
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    }
    return entry;
  }

  set(id: CoId, sessionId: SessionId, entry: CachedSession): void {
    const key = `${id} ${sessionId}`;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  delete(id: CoId, sessionId: SessionId): void {
    this.#entries.delete(`${id} ${sessionId}`);
  }
}
