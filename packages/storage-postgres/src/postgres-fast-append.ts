import {
  advanceCheckpoint,
  type AppendChunk,
  type AppendOutcome,
  type AppendSessionPiece,
  type SessionId,
  transactionTextSize,
  unseenTransactions,
} from "@cosync/core";
import type { Pool } from "pg";
import type { SessionCache } from "./session-cache.js";

// The whole append as one autocommitted statement: one round trip instead of BEGIN, a locking
// read, the write and COMMIT. The UPDATE takes the session row's lock and, under READ COMMITTED,
// re-checks `count = $2` against the newest row version after any wait, so it matches only if no
// one appended since this process last saw the row. The inserts depend on the UPDATE's RETURNING
// and so happen exactly when it matched. The final SELECT reads the CoValue's other sessions for
// the known state (from the statement's snapshot; their counts only grow).
const fastAppendSql = `
WITH upd AS (
  UPDATE cosync_sessions SET count = $4::integer, last_signature = $5::text, bytes_since_checkpoint = $7::integer,
    hash_state = $8::bytea
  WHERE row_id = $1::bigint AND count = $2::integer
  RETURNING row_id
), ins AS (
  INSERT INTO cosync_transactions (session, idx, tx)
  SELECT upd.row_id, $2::integer + t.ord::integer - 1, t.tx FROM upd, unnest($3::text[]) WITH ORDINALITY AS t(tx, ord)
), cp AS (
  INSERT INTO cosync_checkpoints (session, idx, signature)
  SELECT upd.row_id, $4::integer - 1, $5::text FROM upd WHERE $6::boolean
)
SELECT (SELECT count(*)::integer FROM upd) AS updated, session_id, count FROM cosync_sessions WHERE covalue = $9`;

/**
 * Appends a single-session chunk in one statement if this process's cache says how far the
 * session is stored; returns undefined when the slow path (a full transaction) must run instead:
 * no cache entry, a possible gap, nothing new, several sessions, or another writer got there first.
 */
export async function tryFastAppend(pool: Pool, cache: SessionCache, chunk: AppendChunk): Promise<AppendOutcome | undefined> {
  const entries = Object.entries(chunk.sessions) as [SessionId, AppendSessionPiece][];
  const only = entries.length === 1 ? entries[0] : undefined;
  if (only === undefined) return undefined;
  const [sessionId, piece] = only;
  const cached = cache.get(chunk.id, sessionId);
  if (cached === undefined) return undefined;
  const fresh = unseenTransactions(piece, cached.count);
  if (fresh === "Gap" || fresh.length === 0) return undefined;

  const count = cached.count + fresh.length;
  const next = advanceCheckpoint(cached.bytesSinceCheckpoint, transactionTextSize(fresh));
  const hashState = piece.hashState === undefined ? null : Buffer.from(piece.hashState);
  const { rows } = await pool.query<{ updated: number; session_id: SessionId; count: number }>({
    name: "cosync-fast-append",
    text: fastAppendSql,
    values: [cached.rowId, cached.count, fresh, count, piece.lastSignature, next.checkpoint, next.sizeSinceCheckpoint, hashState, chunk.id],
  });
  if (rows[0]?.updated !== 1) {
    cache.delete(chunk.id, sessionId);
    return undefined;
  }
  cache.set(chunk.id, sessionId, { rowId: cached.rowId, count, bytesSinceCheckpoint: next.sizeSinceCheckpoint });
  const sessions: Record<SessionId, number> = {};
  for (const row of rows) sessions[row.session_id] = row.count;
  sessions[sessionId] = count;
  return { type: "Stored", knownState: { id: chunk.id, header: true, sessions } };
}
