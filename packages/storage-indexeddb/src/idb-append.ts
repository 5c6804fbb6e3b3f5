import {
  advanceCheckpoint,
  type AppendChunk,
  type AppendOutcome,
  type AppendSessionPiece,
  type CoId,
  type CoValueHeader,
  isDeleteSessionId,
  type KnownState,
  type SessionId,
  StorageError,
  type StoredCheckpoint,
  transactionTextSize,
  unseenTransactions,
  validateHeader,
} from "@cosync/core";
import { requestResult } from "./idb-requests.js";
import { type CoValueRecord, type IdbContext, SESSIONS_BY_COVALUE, type SessionRecord, Stores, sessionsOf } from "./idb-schema.js";

/** The stores one append reads and writes: all of them take part in its single transaction. */
export const APPEND_STORES = [Stores.coValues, Stores.deleted, Stores.sessions, Stores.transactions, Stores.checkpoints];

/** Known state from a CoValue's session records. */
export function knownStateOf(id: CoId, header: boolean, sessions: Iterable<SessionRecord>): KnownState {
  const counts: Record<SessionId, number> = {};
  for (const session of sessions) counts[session.sessionId] = session.count;
  return { id, header, sessions: counts };
}

/**
 * Stores one chunk inside `tx` (a readwrite transaction over `APPEND_STORES`).
 *
 * Everything is read and decided before the first write, so a Gap writes nothing; a failing
 * request or a throw makes the caller abort the transaction, which undoes any earlier write.
 * IndexedDB serialises readwrite transactions over the same stores, so no other append of this
 * database can interleave between the reads and the writes.
 */
export async function appendInTransaction(ctx: IdbContext, tx: IDBTransaction, chunk: AppendChunk): Promise<AppendOutcome> {
  const id = chunk.id;
  const [existing, deleted, sessionRecords] = await Promise.all([
    requestResult(tx.objectStore(Stores.coValues).get(id) as IDBRequest<CoValueRecord | undefined>),
    requestResult(tx.objectStore(Stores.deleted).get(id)),
    requestResult(tx.objectStore(Stores.sessions).index(SESSIONS_BY_COVALUE).getAll(sessionsOf(ctx, id)) as IDBRequest<SessionRecord[]>),
  ]);
  const sessions = new Map(sessionRecords.map((record) => [record.sessionId, record]));
  const before = knownStateOf(id, existing !== undefined, sessions.values());
  let header: CoValueHeader | undefined;
  if (existing === undefined) {
    if (chunk.header === undefined) return { type: "Gap", knownState: before };
    const valid = validateHeader(chunk.header);
    if (!valid.ok) throw new StorageError(`append: ${valid.error}`, { coId: id });
    header = valid.value;
  }
  const pieces = Object.entries(chunk.sessions) as [SessionId, AppendSessionPiece][];
  // After deletion only delete sessions (ending in "$") may grow; a chunk touching any other is
  // refused whole, like a gap, so appends stay atomic.
  if (deleted !== undefined && pieces.some(([sessionId]) => !isDeleteSessionId(sessionId))) {
    return { type: "Gap", knownState: before };
  }
  const staged: Array<{ sessionId: SessionId; piece: AppendSessionPiece; fresh: readonly string[] }> = [];
  for (const [sessionId, piece] of pieces) {
    const fresh = unseenTransactions(piece, sessions.get(sessionId)?.count ?? 0);
    if (fresh === "Gap") return { type: "Gap", knownState: before };
    if (fresh.length > 0) staged.push({ sessionId, piece, fresh });
  }

  if (header !== undefined) tx.objectStore(Stores.coValues).put({ id, header } satisfies CoValueRecord);
  const writes: Array<Promise<unknown>> = [];
  for (const { sessionId, piece, fresh } of staged) {
    const record = await writeSession(tx, id, sessionId, sessions.get(sessionId), piece, fresh, writes);
    sessions.set(sessionId, record);
  }
  // Requests run in order; waiting on all of them surfaces the first failure as a rejection.
  await Promise.all(writes);
  return { type: "Stored", knownState: knownStateOf(id, true, sessions.values()) };
}

async function writeSession(
  tx: IDBTransaction,
  id: CoId,
  sessionId: SessionId,
  stored: SessionRecord | undefined,
  piece: AppendSessionPiece,
  fresh: readonly string[],
  writes: Array<Promise<unknown>>,
): Promise<SessionRecord> {
  const sessionStore = tx.objectStore(Stores.sessions);
  const before = stored?.count ?? 0;
  const count = before + fresh.length;
  const next = advanceCheckpoint(stored?.sizeSinceCheckpoint ?? 0, transactionTextSize(fresh));
  const fields = {
    coValue: id,
    sessionId,
    count,
    lastSignature: piece.lastSignature,
    sizeSinceCheckpoint: next.sizeSinceCheckpoint,
    ...(piece.hashState === undefined ? {} : { hashState: piece.hashState.slice() }),
  };
  let key: number;
  if (stored === undefined) {
    // A new session's key comes from the store's key generator; its rows need it.
    key = (await requestResult(sessionStore.add(fields))) as number;
  } else {
    key = stored.key;
    writes.push(requestResult(sessionStore.put({ key, ...fields })));
  }
  const transactions = tx.objectStore(Stores.transactions);
  for (const [offset, text] of fresh.entries()) writes.push(requestResult(transactions.add(text, [key, before + offset])));
  if (next.checkpoint) {
    const checkpoint: StoredCheckpoint = { idx: count - 1, signature: piece.lastSignature };
    writes.push(requestResult(tx.objectStore(Stores.checkpoints).add(checkpoint, [key, checkpoint.idx])));
  }
  return { key, ...fields };
}
