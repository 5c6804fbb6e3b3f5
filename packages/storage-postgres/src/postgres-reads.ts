import {
  type CoId,
  type CoValueHeader,
  type KnownState,
  packStoredPieces,
  planLoadSegments,
  type SessionId,
  type Signature,
  type StoredCheckpoint,
  type StoredCoValueSummary,
  type StoredPiece,
  type StoredSessionExtent,
  type StoredSessionSummary,
} from "@cosync/core";
import type { Pool } from "pg";
import { createSegmentReader } from "./postgres-segment-reader.js";

interface SessionRow {
  readonly header: string | null;
  readonly row_id: string | null;
  readonly session_id: SessionId | null;
  readonly count: number | null;
  readonly last_signature: Signature | null;
}

/** The known state, from the summary rows only (transactions are never read). */
export async function readKnownState(pool: Pool, id: CoId): Promise<KnownState | undefined> {
  const { rows } = await pool.query<{ has_header: boolean; session_id: SessionId | null; count: number | null }>({
    name: "cosync-known-state",
    text: `SELECT c.header IS NOT NULL AS has_header, s.session_id, s.count
           FROM cosync_covalues c LEFT JOIN cosync_sessions s ON s.covalue = c.id WHERE c.id = $1`,
    values: [id],
  });
  const first = rows[0];
  if (first === undefined) return undefined;
  const sessions: Record<SessionId, number> = {};
  for (const row of rows) if (row.session_id !== null && row.count !== null) sessions[row.session_id] = row.count;
  // A tombstone for a CoValue never stored holds nothing.
  if (!first.has_header && Object.keys(sessions).length === 0) return undefined;
  return { id, header: first.has_header, sessions };
}

/** Header plus per-session count, last signature and hash state; undefined without a header. */
export async function readSummary(pool: Pool, id: CoId): Promise<StoredCoValueSummary | undefined> {
  const { rows } = await pool.query<SessionRow & { hash_state: Buffer | null }>({
    name: "cosync-summary",
    text: `SELECT c.header, s.row_id, s.session_id, s.count, s.last_signature, s.hash_state
           FROM cosync_covalues c LEFT JOIN cosync_sessions s ON s.covalue = c.id WHERE c.id = $1
           ORDER BY s.session_id`,
    values: [id],
  });
  const header = rows[0]?.header;
  if (header === undefined || header === null) return undefined;
  const sessions: Record<SessionId, StoredSessionSummary> = {};
  for (const row of rows) {
    if (row.session_id === null || row.count === null || row.last_signature === null) continue;
    sessions[row.session_id] =
      row.hash_state === null
        ? { count: row.count, lastSignature: row.last_signature }
        : { count: row.count, lastSignature: row.last_signature, hashState: new Uint8Array(row.hash_state) };
  }
  return { header: JSON.parse(header) as CoValueHeader, sessions };
}

/**
 * Yields what is stored beyond `since`, cut and packed by core's `planLoadSegments` and
 * `packStoredPieces` (so every adapter cuts identically), in session-id order.
 *
 * Rows are fetched lazily, a batch of segments at a time (`createSegmentReader`). Transactions are
 * append-only, so a range read after the summary read is consistent; only a concurrent
 * `markDeleted` can shrink it, and `packStoredPieces` drops a segment that comes back short
 * instead of yielding a wrong signature.
 */
export async function* loadPieces(pool: Pool, id: CoId, since: KnownState | undefined): AsyncGenerator<StoredPiece> {
  // Summary rows and their checkpoints in one round trip (and one snapshot).
  const { rows } = await pool.query<SessionRow & { checkpoint_idx: number[] | null; checkpoint_sig: Signature[] | null }>({
    name: "cosync-load-sessions",
    text: `SELECT c.header, s.row_id, s.session_id, s.count, s.last_signature, k.checkpoint_idx, k.checkpoint_sig
           FROM cosync_covalues c
           LEFT JOIN cosync_sessions s ON s.covalue = c.id
           LEFT JOIN LATERAL (
             SELECT array_agg(idx ORDER BY idx) AS checkpoint_idx, array_agg(signature ORDER BY idx) AS checkpoint_sig
             FROM cosync_checkpoints WHERE session = s.row_id
           ) k ON true
           WHERE c.id = $1 ORDER BY s.session_id`,
    values: [id],
  });
  const headerText = rows[0]?.header;
  if (headerText === undefined || headerText === null) return;
  const header = since?.header === true ? undefined : (JSON.parse(headerText) as CoValueHeader);

  const rowIds = new Map<SessionId, string>();
  const extents: StoredSessionExtent[] = [];
  for (const row of rows) {
    if (row.session_id === null || row.row_id === null || row.count === null || row.last_signature === null) continue;
    if (row.count <= (since?.sessions[row.session_id] ?? 0)) continue;
    rowIds.set(row.session_id, row.row_id);
    const signatures = row.checkpoint_sig ?? [];
    const checkpoints = (row.checkpoint_idx ?? []).map((idx, index): StoredCheckpoint => ({ idx, signature: signatures[index] as Signature }));
    extents.push({ sessionId: row.session_id, count: row.count, lastSignature: row.last_signature, checkpoints });
  }
  const segments = planLoadSegments(extents, since?.sessions);
  yield* packStoredPieces(id, header, segments, createSegmentReader(pool, segments, rowIds));
}
