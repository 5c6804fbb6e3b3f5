import type { CoId } from "../ids/co-id.js";
import type { VerifiedLog } from "../log/verified-log.js";
import type { KnownSessions, KnownState } from "../sync/known-state.js";
import type { ParkedPiece } from "../sync/parked-content.js";
import { emptyKnownState } from "../sync/known-state.js";

/**
 * Where a CoValue stands in this node:
 * - "unknown": never seen; "loading": asked storage or peers;
 * - "available": verified log in memory; "unavailable": nobody had it;
 * - "unloaded": garbage-collected, only its last known state is kept.
 */
export type EntryState = "unknown" | "loading" | "available" | "unavailable" | "unloaded";

/** A node's bookkeeping for one CoValue. Owned by LocalNode; the sync layer reads and updates it. */
export class CoValueEntry {
  readonly id: CoId;
  state: EntryState = "unknown";
  log: VerifiedLog | undefined;
  /** Why the last load found nothing (for the app's "unavailable" outcome). */
  unavailableReason: string | undefined;
  /** Known state kept after unloading, so `load` replies stay exact. */
  lastKnown: KnownState | undefined;
  /** While content streams in: what the sender announced it will have sent when done. */
  streamingTarget: KnownSessions | undefined;
  lastAccessed = 0;
  /** A valid delete transaction was applied: only delete sessions are kept and synced now. */
  deleted = false;
  /** The materialised content of the typed view last read (owned by node/co-value-views.ts). */
  contentCache: unknown;
  /** Bumped on every change, so derived views (content, group state) know when to recompute. */
  version = 0;
  readonly listeners = new Set<() => void>();
  /** Pieces of this value waiting for the account that signed them (owned by sync/parked-content.ts). */
  readonly parked = new Set<ParkedPiece>();
  /** Storage appends run in order per CoValue; this is the tail of that chain. */
  storageTail: Promise<unknown> = Promise.resolve();
  /**
   * Whether everything held in memory is committed: the result of the last append (false once one
   * failed, until the value is reloaded). Acks and `known` replies wait for it.
   */
  durable: Promise<boolean> = Promise.resolve(true);
  pendingStorageWrites = 0;
  loading: Promise<void> | undefined;

  constructor(id: CoId) {
    this.id = id;
  }

  knownState(): KnownState {
    return this.log?.knownState() ?? this.lastKnown ?? emptyKnownState(this.id);
  }

  /** True while streamed content is still arriving (the announced target is not yet covered). */
  isStreaming(): boolean {
    const target = this.streamingTarget;
    if (target === undefined) return false;
    const sessions = this.knownState().sessions;
    for (const [sessionId, count] of Object.entries(target)) {
      if ((sessions[sessionId as keyof typeof sessions] ?? 0) < count) return true;
    }
    this.streamingTarget = undefined;
    return false;
  }

  /** Calls every listener; one that throws is reported and never stops sync or the others. */
  notify(onError?: (error: unknown) => void): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (error) {
        onError?.(error);
      }
    }
  }
}
