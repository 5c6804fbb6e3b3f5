import {
  type AppendChunk,
  type AppendSessionPiece,
  advanceCheckpoint,
  appendPieceProblem,
  type CoId,
  canonicalJsonOf,
  isDeleteSessionId,
  type JsonValue,
  type KnownState,
  type SessionId,
  StorageError,
  transactionTextProblem,
  transactionTextSize,
  unseenTransactions,
  validateHeader,
} from "@cosync/core";
import type { SqliteDriver } from "./sqlite-driver.js";

// The write path of one `append`, run inside one DB transaction: plan (read session rows, decide
// Gap), then write. A malformed transaction is found while writing, so a throw there rolls back
// rows already inserted for earlier sessions of the chunk — the atomicity the contract promises.

/** Statements shared by the read and write paths. */
export const SQL = {
  coValueRow: "SELECT row_id FROM covalues WHERE id = ?",
  isDeleted: "SELECT 1 AS deleted FROM deleted_covalues WHERE covalue_id = ?",
  knownSessions:
    "SELECT c.row_id, s.session_id, s.count FROM covalues c LEFT JOIN sessions s ON s.covalue = c.row_id WHERE c.id = ? ORDER BY s.row_id",
  insertCoValue: "INSERT INTO covalues (id, header) VALUES (?, ?) RETURNING row_id",
  sessionRow: "SELECT row_id, count, size_since_checkpoint FROM sessions WHERE covalue = ? AND session_id = ?",
  insertSession:
    "INSERT INTO sessions (covalue, session_id, count, last_signature, size_since_checkpoint, hash_state) VALUES (?, ?, ?, ?, ?, ?) RETURNING row_id",
  updateSession: "UPDATE sessions SET count = ?, last_signature = ?, size_since_checkpoint = ?, hash_state = ? WHERE row_id = ?",
  insertTransaction: "INSERT INTO transactions (session, idx, tx) VALUES (?, ?, ?)",
  insertCheckpoint: "INSERT INTO checkpoints (session, idx, signature) VALUES (?, ?, ?)",
} as const;

interface SessionRow {
  readonly row_id: number;
  readonly count: number;
  readonly size_since_checkpoint: number;
}

/** One session's planned write. */
interface PlannedSession {
  readonly sessionId: SessionId;
  readonly row: SessionRow | undefined;
  readonly piece: AppendSessionPiece;
  readonly added: readonly string[];
}

/** What the database holds for `id`, without reading transactions; undefined if nothing. */
export function readKnownState(driver: SqliteDriver, id: CoId): KnownState | undefined {
  const rows = driver.all<{ session_id: SessionId | null; count: number | null }>(SQL.knownSessions, [id]);
  if (rows.length === 0) return undefined;
  const sessions: Record<SessionId, number> = {};
  for (const row of rows) if (row.session_id !== null && row.count !== null) sessions[row.session_id] = row.count;
  return { id, header: true, sessions };
}

const emptyKnownState = (id: CoId): KnownState => ({ id, header: false, sessions: {} });

/** Runs inside the caller's DB transaction; returns Gap, or the new known state once written. */
export function appendInTransaction(driver: SqliteDriver, chunk: AppendChunk): { readonly gap: boolean; readonly knownState: KnownState } {
  const coValue = driver.get<{ row_id: number }>(SQL.coValueRow, [chunk.id]);
  if (coValue === undefined && chunk.header === undefined) return { gap: true, knownState: emptyKnownState(chunk.id) };
  const deleted = driver.get(SQL.isDeleted, [chunk.id]) !== undefined;

  const planned: PlannedSession[] = [];
  let gap = false;
  for (const [sessionId, piece] of Object.entries(chunk.sessions) as [SessionId, AppendSessionPiece][]) {
    const problem = appendPieceProblem(sessionId, piece);
    if (problem !== undefined) throw new StorageError(`append: ${problem}`, { coId: chunk.id });
    if (deleted && !isDeleteSessionId(sessionId)) gap = true;
    const row = coValue === undefined ? undefined : driver.get<SessionRow>(SQL.sessionRow, [coValue.row_id, sessionId]);
    const added = unseenTransactions(piece, row?.count ?? 0);
    if (added === "Gap") gap = true;
    else if (added.length > 0) planned.push({ sessionId, row, piece, added });
  }
  if (gap) return { gap: true, knownState: readKnownState(driver, chunk.id) ?? emptyKnownState(chunk.id) };

  const coValueRowId = coValue?.row_id ?? insertCoValue(driver, chunk);
  for (const session of planned) writeSession(driver, chunk.id, coValueRowId, session);
  return { gap: false, knownState: readKnownState(driver, chunk.id) ?? emptyKnownState(chunk.id) };
}

function insertCoValue(driver: SqliteDriver, chunk: AppendChunk): number {
  const header = validateHeader(chunk.header);
  if (!header.ok) throw new StorageError(`append: ${header.error}`, { coId: chunk.id });
  const row = driver.get<{ row_id: number }>(SQL.insertCoValue, [chunk.id, canonicalJsonOf(header.value as unknown as JsonValue)]);
  if (row === undefined) throw new StorageError("append: inserting the CoValue row returned no row id", { coId: chunk.id });
  return row.row_id;
}

function writeSession(driver: SqliteDriver, id: CoId, coValueRowId: number, session: PlannedSession): void {
  const { sessionId, row, piece, added } = session;
  const count = (row?.count ?? 0) + added.length;
  const next = advanceCheckpoint(row?.size_since_checkpoint ?? 0, transactionTextSize(added));
  const hashState = piece.hashState ?? null;
  let sessionRowId: number;
  if (row === undefined) {
    const inserted = driver.get<{ row_id: number }>(SQL.insertSession, [
      coValueRowId,
      sessionId,
      count,
      piece.lastSignature,
      next.sizeSinceCheckpoint,
      hashState,
    ]);
    if (inserted === undefined) throw new StorageError("append: inserting a session row returned no row id", { coId: id });
    sessionRowId = inserted.row_id;
  } else {
    sessionRowId = row.row_id;
    driver.run(SQL.updateSession, [count, piece.lastSignature, next.sizeSinceCheckpoint, hashState, sessionRowId]);
  }
  const first = count - added.length;
  added.forEach((tx, offset) => {
    const problem = transactionTextProblem(sessionId, first - piece.after + offset, tx);
    if (problem !== undefined) throw new StorageError(`append: ${problem}`, { coId: id });
    driver.run(SQL.insertTransaction, [sessionRowId, first + offset, tx]);
  });
  if (next.checkpoint) driver.run(SQL.insertCheckpoint, [sessionRowId, count - 1, piece.lastSignature]);
}
