import type { CoValueHeader } from "../covalues/header.js";
import type { CoId } from "../ids/co-id.js";
import type { Signature } from "../ids/crypto-strings.js";
import type { SessionId } from "../ids/session-id.js";
import type { KnownState } from "../sync/known-state.js";

/**
 * Payload bytes after which storage records a signature checkpoint (cojson's
 * MAX_RECOMMENDED_TX_SIZE, 100 KiB). Loads are cut at checkpoints so no piece carries much more.
 */
export const CHECKPOINT_BYTES = 100 * 1024;

/**
 * Transactions of one session, as stored: each is the canonical JSON text of a verified
 * transaction (`serializeTransaction`), so it can be hashed or framed without re-serialising.
 */
export interface StoredSessionPiece {
  /** How many transactions of this session precede the first one here. */
  readonly after: number;
  readonly transactions: readonly string[];
  /** Signature over the session's hash chain up to the last transaction here. */
  readonly lastSignature: Signature;
}

/** What `append` takes for one session: a verified piece plus the chain state after it. */
export interface AppendSessionPiece extends StoredSessionPiece {
  /** `HashChain.saveState()` after the last transaction, so verification can resume without re-hashing. */
  readonly hashState?: Uint8Array;
}

/** A verified piece of one CoValue, ready to store. */
export interface AppendChunk {
  readonly id: CoId;
  /** Required the first time a CoValue is stored; ignored afterwards. */
  readonly header?: CoValueHeader;
  readonly sessions: Readonly<Record<SessionId, AppendSessionPiece>>;
}

/** A piece read back from storage, cut at a stored signature. */
export interface StoredPiece {
  readonly id: CoId;
  /** Present on the first piece when the caller's `since` lacked the header. */
  readonly header?: CoValueHeader;
  readonly sessions: Readonly<Record<SessionId, StoredSessionPiece>>;
}

export type AppendOutcome =
  | { readonly type: "Stored"; readonly knownState: KnownState }
  /** Nothing stored: a session's `after` was beyond what is stored, or the header is missing. */
  | { readonly type: "Gap"; readonly knownState: KnownState };

/** Per session: how far it is stored, its last signature and the saved hash-chain state. */
export interface StoredSessionSummary {
  readonly count: number;
  readonly lastSignature: Signature;
  readonly hashState?: Uint8Array;
}

export interface StoredCoValueSummary {
  readonly header: CoValueHeader;
  readonly sessions: Readonly<Record<SessionId, StoredSessionSummary>>;
}

/** A CoValue a peer has not acknowledged yet (the unsynced tracker's persisted rows). */
export interface UnsyncedEntry {
  readonly id: CoId;
  readonly peerId: string;
}

/**
 * Where a node keeps CoValue logs between runs.
 *
 * Implementations live in their own packages and must pass `runStorageConformance` from
 * `@cosync/testing`. Contract:
 * - Stores only what the caller verified; never re-verifies and never rewrites a stored transaction.
 * - `append` is atomic per call: every session of the chunk is stored, or none is (on a Gap or a
 *   thrown StorageError). When the promise resolves with "Stored", the data is committed.
 * - A session piece whose `after` is below the stored count stores only the unseen suffix
 *   (appends are idempotent); one whose `after` is above it is a Gap.
 * - Session logs are append-only; a session's summary row (count, last signature, hash state) is
 *   updated in the same atomic step.
 * - A signature checkpoint is recorded whenever more than `CHECKPOINT_BYTES` of transaction text
 *   was stored in a session since its previous checkpoint; `load` cuts pieces only at checkpoints
 *   and at the last signature.
 * - After `close()`, every other method rejects with a StorageError (a `load` on its first
 *   pull); `close()` itself is idempotent — every call resolves only once what was accepted
 *   before the first call is durable — so `await using` after an explicit close is safe.
 *   Reopening the same location returns the same known states.
 */
export interface StorageAdapter extends AsyncDisposable {
  /** What is stored for `id`, without loading transactions; undefined if nothing is. */
  knownState(id: CoId): Promise<KnownState | undefined>;

  /** Header and per-session chain summaries, without transactions; undefined if nothing is stored. */
  summary(id: CoId): Promise<StoredCoValueSummary | undefined>;

  /** What is stored beyond `since`, in pieces cut at signatures, in session order. */
  load(id: CoId, since?: KnownState): AsyncIterable<StoredPiece>;

  /** Stores a verified chunk atomically. */
  append(chunk: AppendChunk): Promise<AppendOutcome>;

  /** Marks CoValues as not yet acknowledged by a peer. */
  markUnsynced(entries: readonly UnsyncedEntry[]): Promise<void>;

  /** Forgets unsynced marks (the peer acknowledged them). */
  clearUnsynced(entries: readonly UnsyncedEntry[]): Promise<void>;

  /** Every persisted unsynced mark. */
  listUnsynced(): Promise<UnsyncedEntry[]>;

  /**
   * Records a deletion tombstone and erases every non-delete session of the CoValue (delete
   * sessions end in `$`). Afterwards only delete sessions can be appended: a chunk carrying any
   * other session is refused whole as a Gap with the current known state.
   */
  markDeleted(id: CoId): Promise<void>;

  /** True if `markDeleted` was called for `id`. */
  isDeleted(id: CoId): Promise<boolean>;

  /**
   * Optional, for operator tools (export, migrate, stats): ids of stored CoValues (those with a
   * header) that sort after `after` byte-wise, ascending, at most `limit` of them. Paging by the
   * last id seen walks every CoValue once even while appends continue.
   */
  listIds?(after: CoId | undefined, limit: number): Promise<CoId[]>;

  /**
   * Optional bookkeeping for servers (bytes stored per account, …): named integer counters that
   * survive restarts. `addToCounters` adds each delta atomically (several processes may share the
   * storage); `readCounters` returns every counter whose name starts with `prefix`.
   */
  addToCounters?(deltas: ReadonlyMap<string, number>): Promise<void>;
  readCounters?(prefix: string): Promise<Map<string, number>>;

  close(): Promise<void>;
  /**
   * True if appends commit in the order they are called: whatever an append stores is seen by
   * every append called after it, even one called before it committed. A node then issues a
   * value's next append without waiting for the previous commit, so content arriving while a
   * commit is in flight shares the next one (group commit). Absent: a node waits for each commit
   * of a value before its next append.
   */
  readonly appendsInOrder?: boolean;
  /**
   * Why writes cannot succeed any more although reads still do (e.g. SQLite's writer thread
   * died), or undefined. Optional: a server's readiness check reports it.
   */
  writeProblem?(): string | undefined;
}

/** An IO failure inside a storage adapter. */
export class StorageError extends Error {
  override readonly name = "StorageError";
  readonly coId: CoId | undefined;

  constructor(message: string, options: { readonly cause?: unknown; readonly coId?: CoId } = {}) {
    super(message, { cause: options.cause });
    this.coId = options.coId;
  }
}
