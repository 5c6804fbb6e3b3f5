import type { CoId } from "../ids/co-id.js";
import type { CoValueEntry } from "../node/co-value-entry.js";
import type { UnsyncedEntry } from "../storage/storage-adapter.js";
import type { Cancel } from "../time/clock.js";
import { knownStateCovers } from "./known-state.js";
import type { PeerState } from "./peer-state.js";
import type { SyncManager } from "./sync-manager.js";

/** How often unsynced marks are written to storage (cojson's BATCH_DELAY_MS). */
export const UNSYNCED_PERSIST_DELAY_MS = 200;

/**
 * Which CoValues each server peer has not acknowledged yet. Marks are persisted so a restarted
 * node resumes pushing them: a local write's first mark right after the write (in the same turn
 * as its content is stored, so a reload or crash straight after the write still finds it), other
 * marks and clears in 200 ms batches. `waitForSync` resolves when a value is acknowledged by
 * every connected server peer.
 */
export class UnsyncedTracker {
  readonly #sync: SyncManager;
  /** CoValue id → server peer ids that lack something of it. */
  readonly #unsynced = new Map<CoId, Set<string>>();
  readonly #toMark = new Map<string, UnsyncedEntry>();
  readonly #toClear = new Map<string, UnsyncedEntry>();
  /** Clears handed to storage and not yet written. */
  readonly #clearing = new Set<string>();
  readonly #waiters = new Map<CoId, Array<{ readonly resolve: () => void; readonly reject: (error: Error) => void }>>();
  /** Values a server refused, and why: their waitForSync fails until a server acknowledges them. */
  readonly #refused = new Map<CoId, Error>();
  #flushTimer: Cancel | undefined;
  #flushQueued = false;
  #flushing: Promise<void> = Promise.resolve();

  constructor(sync: SyncManager) {
    this.#sync = sync;
  }

  has(id: CoId): boolean {
    return (this.#unsynced.get(id)?.size ?? 0) > 0;
  }

  ids(): CoId[] {
    return [...this.#unsynced.keys()];
  }

  /** New content in `entry` (local or from `source`): every other server peer now lacks it. */
  markChanged(entry: CoValueEntry, source?: PeerState): void {
    let marked = false;
    for (const peer of this.#sync.peers.values()) {
      if (!peer.isServer || peer === source) continue;
      marked = this.#mark(entry.id, peer.id) || marked;
    }
    if (this.#sync.serverPeerCount() === 0 && source === undefined) {
      // No server connected yet: remember it for whichever server comes (resumed on connect).
      marked = this.#mark(entry.id, "any") || marked;
    }
    if (marked && source === undefined) this.#flushSoon();
  }

  /**
   * Marks restored from storage after a restart. A mark this process has since cleared, whose
   * clearing is not written yet, stays cleared: storage lags memory, never the other way round.
   */
  restore(entries: readonly UnsyncedEntry[]): void {
    for (const { id, peerId } of entries) {
      const key = markKey(id, peerId);
      if (this.#toClear.has(key) || this.#clearing.has(key)) continue;
      this.#peersOf(id).add(peerId);
    }
  }

  #peersOf(id: CoId): Set<string> {
    let peers = this.#unsynced.get(id);
    if (peers === undefined) {
      peers = new Set();
      this.#unsynced.set(id, peers);
    }
    return peers;
  }

  /** True when the mark is new (and so waits to be persisted). */
  #mark(id: CoId, peerId: string): boolean {
    const peers = this.#peersOf(id);
    if (peers.has(peerId)) return false;
    peers.add(peerId);
    const key = markKey(id, peerId);
    this.#toClear.delete(key);
    this.#toMark.set(key, { id, peerId });
    this.#scheduleFlush();
    return true;
  }

  /** After a `known` from a server peer: is it now up to date with us? */
  checkSynced(entry: CoValueEntry, peer: PeerState): void {
    const peers = this.#unsynced.get(entry.id);
    if (peers === undefined || !peer.isServer || entry.log === undefined) return;
    const confirmed = peer.confirmed.get(entry.id);
    if (confirmed === undefined || !knownStateCovers(confirmed, entry.log.knownState())) return;
    // Marks for this peer, for "any" server, and for server ids not connected now (left by an
    // earlier run) are all satisfied: a server holds everything we have.
    const connected = this.#sync.peers;
    for (const peerId of [...peers]) {
      if (peerId !== peer.id && peerId !== "any" && connected.has(peerId)) continue;
      peers.delete(peerId);
      const key = markKey(entry.id, peerId);
      this.#toMark.delete(key);
      this.#toClear.set(key, { id: entry.id, peerId });
    }
    this.#scheduleFlush();
    if (peers.size === 0) {
      this.#unsynced.delete(entry.id);
      this.#refused.delete(entry.id);
      for (const { resolve } of this.#waiters.get(entry.id) ?? []) resolve();
      this.#waiters.delete(entry.id);
    }
  }

  /** A server refused content of `id`: whoever waits for it (now or later) hears why. */
  refused(id: CoId, error: Error): void {
    if (!this.has(id)) return;
    this.#refused.set(id, error);
    for (const { reject } of this.#waiters.get(id) ?? []) reject(error);
    this.#waiters.delete(id);
  }

  /**
   * Resolves when `id` is acknowledged by the server peers (immediately if nothing is pending);
   * rejects with the reason if a server refused it.
   */
  waitForSync(id: CoId): Promise<void> {
    if (!this.has(id)) return Promise.resolve();
    const refusal = this.#refused.get(id);
    if (refusal !== undefined) return Promise.reject(refusal);
    return new Promise((resolve, reject) => {
      const list = this.#waiters.get(id) ?? [];
      list.push({ resolve, reject });
      this.#waiters.set(id, list);
    });
  }

  #scheduleFlush(): void {
    if (this.#flushTimer !== undefined || this.#sync.node.storage === undefined) return;
    this.#flushTimer = this.#sync.node.clock.setTimeout(() => {
      this.#flushTimer = undefined;
      void this.flush();
    }, UNSYNCED_PERSIST_DELAY_MS);
  }

  /**
   * A local write's mark is persisted at the end of this turn, after the write's content was
   * handed to storage: once per value until a server acknowledges it, so bursts cost one write.
   */
  #flushSoon(): void {
    if (this.#flushQueued || this.#sync.node.storage === undefined) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      void this.flush();
    });
  }

  /** Writes pending marks now (also called on shutdown). */
  flush(): Promise<void> {
    const storage = this.#sync.node.storage;
    if (storage === undefined) return Promise.resolve();
    const mark = [...this.#toMark.values()];
    const clear = [...this.#toClear.values()];
    const clearing = [...this.#toClear.keys()];
    for (const key of clearing) this.#clearing.add(key);
    this.#toMark.clear();
    this.#toClear.clear();
    this.#flushing = this.#flushing.then(async () => {
      try {
        if (mark.length > 0) await storage.markUnsynced(mark);
        if (clear.length > 0) await storage.clearUnsynced(clear);
      } catch (error) {
        this.#sync.node.logger.error({ err: error }, "could not persist unsynced marks");
      } finally {
        for (const key of clearing) this.#clearing.delete(key);
      }
    });
    return this.#flushing;
  }
}

/** The key of one (value, server peer) mark in the pending and in-flight sets. */
function markKey(id: CoId, peerId: string): string {
  return `${id} ${peerId}`;
}
