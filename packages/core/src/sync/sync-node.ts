import type { CoCrypto } from "../crypto/co-crypto.js";
import type { CoId } from "../ids/co-id.js";
import type { SessionId } from "../ids/session-id.js";
import type { SessionPiece } from "../log/session-log.js";
import type { SignerResolution } from "../log/verified-log.js";
import type { DeleteCheck } from "../permissions/owned.js";
import type { CoValueEntry } from "../node/co-value-entry.js";
import type { AppendChunk, StorageAdapter } from "../storage/storage-adapter.js";
import type { Clock } from "../time/clock.js";
import type { Logger } from "./logger.js";

/**
 * What the sync layer needs from the node it serves. LocalNode implements it; keeping it an
 * interface keeps sync/ free of a dependency on the node's construction.
 */
export interface SyncNode {
  readonly crypto: CoCrypto;
  readonly clock: Clock;
  readonly storage: StorageAdapter | undefined;
  readonly logger: Logger;
  /** The entry for `id`, created as "unknown" if new. */
  entry(id: CoId): CoValueEntry;
  peekEntry(id: CoId): CoValueEntry | undefined;
  allEntries(): Iterable<CoValueEntry>;
  /** Makes the entry available from storage if storage has it; resolves either way. */
  loadFromStorage(entry: CoValueEntry): Promise<void>;
  resolveSigner(sessionId: SessionId): SignerResolution;
  /**
   * Queues a verified chunk for storage behind earlier writes of the same CoValue. Resolves true
   * once committed (or when there is no storage), false if storage refused or failed.
   */
  persist(entry: CoValueEntry, chunk: AppendChunk): Promise<boolean>;
  /** Signs, stores and pushes local writes still waiting for their microtask. */
  sealLocalWrites(): void;
  /** Cojson's ingest check of a delete session's piece (cojson 0.20's deletion rules). */
  checkDeletion(entry: CoValueEntry, sessionId: SessionId, piece: SessionPiece): DeleteCheck;
  /** The value was deleted: drop all but delete sessions, here and (after pending writes) in storage. */
  markDeleted(entry: CoValueEntry): Promise<boolean>;
  /** `markDeleted` in memory only, for a deletion storage already holds. Notifies nobody. */
  deleteInMemory(entry: CoValueEntry): void;
  /** True if a delete session the entry holds is a valid deletion (judged as at ingest). */
  holdsValidDeletion(entry: CoValueEntry): boolean;
  /** Drops an entry that holds nothing and that nobody waits on or listens to. */
  forgetIfUnused(entry: CoValueEntry): void;
  /** Called after an entry changed (new content, now available): notifies listeners. */
  entryChanged(entry: CoValueEntry): void;
}
