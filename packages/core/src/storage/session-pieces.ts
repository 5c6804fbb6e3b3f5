import type { CoValueHeader } from "../covalues/header.js";
import { describeValue } from "../errors.js";
import type { CoId } from "../ids/co-id.js";
import type { Signature } from "../ids/crypto-strings.js";
import type { SessionId } from "../ids/session-id.js";
import type { KnownSessions } from "../sync/known-state.js";
import { type AppendSessionPiece, CHECKPOINT_BYTES, type StoredPiece, type StoredSessionPiece } from "./storage-adapter.js";

// The rules every StorageAdapter applies to session pieces, in one place so the memory, SQLite,
// Postgres and IndexedDB adapters store, checkpoint and cut identically: which part of an append
// is new, when a checkpoint is due, and where a load may cut a session.

/** Why an append piece is malformed (a caller bug), or undefined if it is well-formed. */
export function appendPieceProblem(sessionId: string, piece: AppendSessionPiece): string | undefined {
  const where = `sessions[${JSON.stringify(sessionId)}]`;
  if (piece === null || typeof piece !== "object") return `${where} must be an object, got ${describeValue(piece)}`;
  if (!Number.isSafeInteger(piece.after) || piece.after < 0) {
    return `${where}.after must be a non-negative integer, got ${describeValue(piece.after)}`;
  }
  if (!Array.isArray(piece.transactions)) {
    return `${where}.transactions must be an array, got ${describeValue(piece.transactions)}`;
  }
  if (typeof piece.lastSignature !== "string") {
    return `${where}.lastSignature must be a string, got ${describeValue(piece.lastSignature)}`;
  }
  if (piece.hashState !== undefined && !(piece.hashState instanceof Uint8Array)) {
    return `${where}.hashState must be a Uint8Array, got ${describeValue(piece.hashState)}`;
  }
  return undefined;
}

/** Why a stored transaction is not a string, or undefined; checked while writing, per row. */
export function transactionTextProblem(sessionId: string, index: number, tx: unknown): string | undefined {
  return typeof tx === "string"
    ? undefined
    : `sessions[${JSON.stringify(sessionId)}].transactions[${index}] must be a string, got ${describeValue(tx)}`;
}

/**
 * The transactions of `piece` that storage lacks, given the stored count; "Gap" if the piece
 * starts beyond it. An already-stored prefix is dropped, which makes appends idempotent.
 */
export function unseenTransactions(piece: StoredSessionPiece, storedCount: number): readonly string[] | "Gap" {
  if (piece.after > storedCount) return "Gap";
  const skip = storedCount - piece.after;
  if (skip >= piece.transactions.length) return [];
  return skip === 0 ? piece.transactions : piece.transactions.slice(skip);
}

/** Size of transaction text as checkpoints count it: UTF-16 length, which is bytes for ASCII JSON. */
export function transactionTextSize(transactions: readonly string[]): number {
  let size = 0;
  for (const tx of transactions) size += tx.length;
  return size;
}

/**
 * Whether storing `addedSize` more text after `sizeSinceCheckpoint` records a checkpoint at the
 * new last transaction, and the running size afterwards.
 */
export function advanceCheckpoint(
  sizeSinceCheckpoint: number,
  addedSize: number,
): { readonly checkpoint: boolean; readonly sizeSinceCheckpoint: number } {
  const size = sizeSinceCheckpoint + addedSize;
  return size > CHECKPOINT_BYTES ? { checkpoint: true, sizeSinceCheckpoint: 0 } : { checkpoint: false, sizeSinceCheckpoint: size };
}

/** A stored signature inside a session: it covers the chain up to and including transaction `idx`. */
export interface StoredCheckpoint {
  readonly idx: number;
  readonly signature: Signature;
}

/** What an adapter knows of one session before reading its transactions. */
export interface StoredSessionExtent {
  readonly sessionId: SessionId;
  readonly count: number;
  readonly lastSignature: Signature;
  /** Checkpoints in ascending `idx` order; those before the caller's `since` may be omitted. */
  readonly checkpoints: readonly StoredCheckpoint[];
}

/** A run of one session's transactions that ends where a signature is stored. */
export interface LoadSegment {
  readonly sessionId: SessionId;
  readonly after: number;
  readonly count: number;
  readonly lastSignature: Signature;
}

/**
 * Cuts what `since` lacks of each session into segments that end at checkpoints or at the last
 * signature, session by session. Signatures cover the hash chain, so a cut anywhere else would
 * leave the receiver a tail it cannot verify.
 */
export function planLoadSegments(extents: readonly StoredSessionExtent[], since?: KnownSessions): LoadSegment[] {
  const segments: LoadSegment[] = [];
  for (const extent of extents) {
    let from = since?.[extent.sessionId] ?? 0;
    for (const checkpoint of extent.checkpoints) {
      if (checkpoint.idx < from || checkpoint.idx >= extent.count - 1) continue;
      segments.push({ sessionId: extent.sessionId, after: from, count: checkpoint.idx + 1 - from, lastSignature: checkpoint.signature });
      from = checkpoint.idx + 1;
    }
    if (from < extent.count) {
      segments.push({ sessionId: extent.sessionId, after: from, count: extent.count - from, lastSignature: extent.lastSignature });
    }
  }
  return segments;
}

/**
 * Reads segments and packs them into pieces: segments of different sessions share a piece while
 * it stays within CHECKPOINT_BYTES, a session appears at most once per piece, and the header (if
 * given) rides on the first piece — alone, if there are no segments.
 *
 * `read` returns a segment's transactions, or undefined if they vanished since planning (the
 * CoValue was deleted meanwhile); such segments, and every later one of their session, are skipped.
 */
export async function* packStoredPieces(
  id: CoId,
  header: CoValueHeader | undefined,
  segments: readonly LoadSegment[],
  read: (segment: LoadSegment) => Promise<readonly string[] | undefined>,
): AsyncGenerator<StoredPiece> {
  let sessions: Record<SessionId, StoredSessionPiece> = {};
  let size = 0;
  let pending = header !== undefined;
  const vanished = new Set<SessionId>();
  const piece = (): StoredPiece => {
    const out: StoredPiece = pending && header !== undefined ? { id, header, sessions } : { id, sessions };
    pending = false;
    sessions = {};
    size = 0;
    return out;
  };
  for (const segment of segments) {
    if (vanished.has(segment.sessionId)) continue;
    const transactions = await read(segment);
    if (transactions === undefined || transactions.length !== segment.count) {
      vanished.add(segment.sessionId);
      continue;
    }
    const segmentSize = transactionTextSize(transactions);
    const hasSession = sessions[segment.sessionId] !== undefined;
    if (hasSession || (size > 0 && size + segmentSize > CHECKPOINT_BYTES)) yield piece();
    sessions[segment.sessionId] = { after: segment.after, transactions, lastSignature: segment.lastSignature };
    size += segmentSize;
  }
  if (pending || Object.keys(sessions).length > 0) yield piece();
}
