import {
  advanceCheckpoint,
  type AppendChunk,
  type AppendOutcome,
  type AppendSessionPiece,
  type CoId,
  canonicalJsonOf,
  isDeleteSessionId,
  type JsonValue,
  type KnownState,
  type SessionId,
  StorageError,
  transactionTextSize,
  unseenTransactions,
  validateHeader,
} from "@cosync/core";
import type { PoolClient } from "pg";
import type { TransactionResult } from "./postgres-transaction.js";
import type { CachedSession } from "./session-cache.js";

/** A session row as locked (and then written) by this append. */
type LockedSession = CachedSession;

/** An append's outcome and the session rows it locked, as they are after its commit. */
export interface AppendResult {
  readonly outcome: AppendOutcome;
  readonly sessions: ReadonlyMap<SessionId, CachedSession>;
}

/** What the locking read saw: the CoValue row, the chunk's sessions (locked) and the others' counts. */
interface Snapshot {
  readonly coValue: { readonly hasHeader: boolean; readonly deleted: boolean } | undefined;
  readonly locked: Map<SessionId, LockedSession>;
  readonly otherCounts: Map<SessionId, number>;
}

interface LockRow {
  kind: number;
  row_id: string | null;
  session_id: SessionId | null;
  count: number | null;
  bytes: number | null;
  has_header: boolean | null;
  deleted: boolean | null;
}

// One round trip takes both locks and reads the known state. The CoValue row gets KEY SHARE so
// appends to different sessions run in parallel while `markDeleted` (FOR UPDATE) waits for them;
// the chunk's session rows get FOR UPDATE in session-id order so appends to one session from several
// processes serialise and cannot deadlock on each other. After a lock wait READ COMMITTED returns
// the newest row version, so the counts used for the gap check include the other writer's commit.
const lockSql = `
WITH cv AS MATERIALIZED (
  SELECT header IS NOT NULL AS has_header, deleted FROM cosync_covalues WHERE id = $1 FOR KEY SHARE
), locked AS MATERIALIZED (
  SELECT row_id, session_id, count, bytes_since_checkpoint FROM cosync_sessions
  WHERE covalue = $1 AND session_id = ANY($2::text[]) ORDER BY session_id FOR UPDATE
)
SELECT 0 AS kind, NULL::bigint AS row_id, NULL::text AS session_id, NULL::integer AS count,
       NULL::integer AS bytes, has_header, deleted FROM cv
UNION ALL
SELECT 1, row_id, session_id, count, bytes_since_checkpoint, NULL, NULL FROM locked
UNION ALL
SELECT 2, NULL, session_id, count, NULL, NULL, NULL FROM cosync_sessions
WHERE covalue = $1 AND NOT (session_id = ANY($2::text[]))`;

const lockNewSql = `
SELECT row_id, session_id, count, bytes_since_checkpoint AS bytes FROM cosync_sessions
WHERE covalue = $1 AND session_id = ANY($2::text[]) ORDER BY session_id FOR UPDATE`;

// One statement per session piece: the rows (unnest of one text array, so the text is constant and
// prepared once per connection), the optional checkpoint and the summary row, all in one CTE.
const writeSql = `
WITH ins AS (
  INSERT INTO cosync_transactions (session, idx, tx)
  SELECT $1::bigint, $2::integer + t.ord::integer - 1, t.tx FROM unnest($3::text[]) WITH ORDINALITY AS t(tx, ord)
), cp AS (
  INSERT INTO cosync_checkpoints (session, idx, signature) SELECT $1::bigint, $4::integer - 1, $5::text WHERE $6::boolean
)
UPDATE cosync_sessions SET count = $4::integer, last_signature = $5::text, bytes_since_checkpoint = $7::integer,
  hash_state = $8::bytea
WHERE row_id = $1::bigint`;

async function lockAndRead(client: PoolClient, id: CoId, sessionIds: readonly SessionId[]): Promise<Snapshot> {
  const { rows } = await client.query<LockRow>({ name: "cosync-append-lock", text: lockSql, values: [id, sessionIds] });
  let coValue: Snapshot["coValue"];
  const locked = new Map<SessionId, LockedSession>();
  const otherCounts = new Map<SessionId, number>();
  for (const row of rows) {
    if (row.kind === 0) coValue = { hasHeader: row.has_header === true, deleted: row.deleted === true };
    else if (row.kind === 1) locked.set(row.session_id as SessionId, toLocked(row));
    else otherCounts.set(row.session_id as SessionId, row.count ?? 0);
  }
  return { coValue, locked, otherCounts };
}

function toLocked(row: Pick<LockRow, "row_id" | "count" | "bytes">): LockedSession {
  return { rowId: row.row_id ?? "", count: row.count ?? 0, bytesSinceCheckpoint: row.bytes ?? 0 };
}

function knownStateOf(id: CoId, hasHeader: boolean, snapshot: Snapshot): KnownState {
  const sessions: Record<SessionId, number> = {};
  for (const [sessionId, count] of snapshot.otherCounts) sessions[sessionId] = count;
  for (const [sessionId, session] of snapshot.locked) if (session.count > 0) sessions[sessionId] = session.count;
  return { id, header: hasHeader, sessions };
}

function headerText(chunk: AppendChunk): string {
  const header = validateHeader(chunk.header);
  if (!header.ok) throw new StorageError(`append: ${header.error}`, { coId: chunk.id });
  return canonicalJsonOf(header.value as unknown as JsonValue);
}

/**
 * Stores one chunk inside the caller's transaction; asks for a rollback on a Gap.
 *
 * Stored counts are read under the row locks, so a piece that overlaps what another process
 * committed meanwhile stores only its unseen suffix.
 */
export async function appendInTransaction(
  client: PoolClient,
  chunk: AppendChunk,
): Promise<TransactionResult<AppendResult>> {
  const id = chunk.id;
  const pieces = (Object.entries(chunk.sessions) as [SessionId, AppendSessionPiece][]).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const sessionIds = pieces.map(([sessionId]) => sessionId);
  let snapshot = await lockAndRead(client, id, sessionIds);
  // Whether the header was stored before this append: a Gap reports the state before it.
  let hadHeader = snapshot.coValue?.hasHeader === true;
  if (snapshot.coValue === undefined) {
    if (chunk.header === undefined) return gap(knownStateOf(id, false, snapshot));
    const inserted = await client.query(
      "INSERT INTO cosync_covalues (id, header) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
      [id, headerText(chunk)],
    );
    if (inserted.rowCount === 1) {
      // Ours and uncommitted: no other transaction sees the row, so none can have sessions for it.
      snapshot = { coValue: { hasHeader: true, deleted: false }, locked: new Map(), otherCounts: new Map() };
    } else {
      // Another process stored it between our read and our insert.
      snapshot = await lockAndRead(client, id, sessionIds);
      hadHeader = snapshot.coValue?.hasHeader === true;
    }
  }
  const coValue = snapshot.coValue;
  if (coValue === undefined) throw new Error("postgres append: CoValue row vanished after insert");
  // After deletion only delete sessions (ending in "$") may grow; a chunk touching any other
  // session is refused whole, like a gap, so appends stay atomic.
  const refused = coValue.deleted && sessionIds.some((sessionId) => !isDeleteSessionId(sessionId));
  if (!coValue.hasHeader) {
    // A tombstone written before the CoValue was ever stored has no header yet.
    if (chunk.header === undefined || refused) return gap(knownStateOf(id, false, snapshot));
    await client.query("UPDATE cosync_covalues SET header = $2 WHERE id = $1 AND header IS NULL", [id, headerText(chunk)]);
  }
  if (refused) return gap(knownStateOf(id, hadHeader, snapshot));
  for (const [sessionId, piece] of pieces) {
    if (unseenTransactions(piece, snapshot.locked.get(sessionId)?.count ?? 0) === "Gap") {
      return gap(knownStateOf(id, hadHeader, snapshot));
    }
  }
  const missing = pieces
    .filter(([sessionId, piece]) => !snapshot.locked.has(sessionId) && piece.transactions.length > 0)
    .map(([sessionId]) => sessionId);
  if (missing.length > 0) await createSessions(client, id, missing, snapshot);

  for (const [sessionId, piece] of pieces) {
    const session = snapshot.locked.get(sessionId);
    if (session === undefined) continue;
    const fresh = unseenTransactions(piece, session.count);
    if (fresh === "Gap") throw new Error("postgres append: a locked session shrank");
    if (fresh.length === 0) continue;
    snapshot.locked.set(sessionId, await writePiece(client, session, piece, fresh));
  }
  const outcome: AppendOutcome = { type: "Stored", knownState: knownStateOf(id, true, snapshot) };
  return { commit: true, value: { outcome, sessions: snapshot.locked } };

  function gap(knownState: KnownState): TransactionResult<AppendResult> {
    // Rolled back: placeholder rows of new sessions (count 0) never existed, so none are reported.
    const sessions = new Map([...snapshot.locked].filter(([, session]) => session.count > 0));
    return { commit: false, value: { outcome: { type: "Gap", knownState }, sessions } };
  }
}

// New sessions get a placeholder row (count 0) that the same transaction fills in; rows we
// inserted are ours until commit. Another process may have created (and even appended to) some of
// them meanwhile: ON CONFLICT skips those, and they are locked and read like existing ones.
async function createSessions(client: PoolClient, id: CoId, sessionIds: SessionId[], snapshot: Snapshot): Promise<void> {
  const { rows: inserted } = await client.query<{ row_id: string; session_id: SessionId }>(
    `INSERT INTO cosync_sessions (covalue, session_id, count, last_signature)
     SELECT $1, s, 0, '' FROM unnest($2::text[]) AS s ORDER BY s ON CONFLICT (covalue, session_id) DO NOTHING
     RETURNING row_id, session_id`,
    [id, sessionIds],
  );
  for (const row of inserted) snapshot.locked.set(row.session_id, { rowId: row.row_id, count: 0, bytesSinceCheckpoint: 0 });
  const raced = sessionIds.filter((sessionId) => !snapshot.locked.has(sessionId));
  if (raced.length === 0) return;
  const { rows } = await client.query<LockRow>({ name: "cosync-append-lock-new", text: lockNewSql, values: [id, raced] });
  for (const row of rows) snapshot.locked.set(row.session_id as SessionId, toLocked(row));
}

async function writePiece(
  client: PoolClient,
  session: LockedSession,
  piece: AppendSessionPiece,
  fresh: readonly string[],
): Promise<LockedSession> {
  const count = session.count + fresh.length;
  const next = advanceCheckpoint(session.bytesSinceCheckpoint, transactionTextSize(fresh));
  const hashState = piece.hashState === undefined ? null : Buffer.from(piece.hashState);
  await client.query({
    name: "cosync-append-write",
    text: writeSql,
    values: [session.rowId, session.count, fresh, count, piece.lastSignature, next.checkpoint, next.sizeSinceCheckpoint, hashState],
  });
  return { rowId: session.rowId, count, bytesSinceCheckpoint: next.sizeSinceCheckpoint };
}
