import {
  CHECKPOINT_BYTES,
  type CoId,
  type CoValueHeader,
  type KnownState,
  type LoadSegment,
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

// Rows are fetched a batch of segments per query. A segment that ends at a checkpoint holds about
// CHECKPOINT_BYTES; one that ends at the last signature holds less (counted as half). Batches stop
// at ~8 checkpoints' worth, so a cold load of a big value takes a few queries while memory stays
// bounded for a huge one.
const BATCH_BUDGET = 8 * CHECKPOINT_BYTES;
const MAX_SEGMENTS_PER_QUERY = 64;

/**
 * Yields what is stored beyond `since`, cut and packed by core's `planLoadSegments` and
 * `packStoredPieces` (so every adapter cuts identically), in session-id order.
 *
 * Rows are fetched lazily, a batch of segments at a time (see BATCH_BUDGET). Transactions are
 * append-only, so a range read after the summary read is consistent; only a concurrent
 * `markDeleted` can shrink it, and `packStoredPieces` drops a segment that comes back short
 * instead of yielding a wrong signature.
 */
export async function* loadPieces(pool: Pool, id: CoId, since: KnownState | undefined): AsyncGenerator<StoredPiece> {
  const { rows } = await pool.query<SessionRow>({
    name: "cosync-load-sessions",
    text: `SELECT c.header, s.row_id, s.session_id, s.count, s.last_signature
           FROM cosync_covalues c LEFT JOIN cosync_sessions s ON s.covalue = c.id WHERE c.id = $1
           ORDER BY s.session_id`,
    values: [id],
  });
  const headerText = rows[0]?.header;
  if (headerText === undefined || headerText === null) return;
  const header = since?.header === true ? undefined : (JSON.parse(headerText) as CoValueHeader);

  const wanted = rows.filter(
    (row): row is SessionRow & { row_id: string; session_id: SessionId; count: number; last_signature: Signature } =>
      row.session_id !== null && row.count !== null && row.count > (since?.sessions[row.session_id] ?? 0),
  );
  const rowIds = new Map(wanted.map((row) => [row.session_id, row.row_id]));
  const segments = planLoadSegments(await readExtents(pool, wanted), since?.sessions);
  const fetched = new Map<LoadSegment, string[]>();
  let position = 0;
  yield* packStoredPieces(id, header, segments, async (segment) => {
    if (!fetched.has(segment)) {
      position = segments.indexOf(segment, position);
      const batch = nextBatch(segments, position);
      const transactions = await readSegments(pool, batch, rowIds);
      for (const [index, part] of batch.entries()) fetched.set(part, transactions[index] ?? []);
    }
    const transactions = fetched.get(segment);
    fetched.delete(segment);
    return transactions;
  });
}

async function readExtents(
  pool: Pool,
  sessions: ReadonlyArray<{ row_id: string; session_id: SessionId; count: number; last_signature: Signature }>,
): Promise<StoredSessionExtent[]> {
  if (sessions.length === 0) return [];
  const { rows } = await pool.query<{ session: string; idx: number; signature: Signature }>({
    name: "cosync-load-checkpoints",
    text: "SELECT session, idx, signature FROM cosync_checkpoints WHERE session = ANY($1::bigint[]) ORDER BY session, idx",
    values: [sessions.map((session) => session.row_id)],
  });
  const checkpointsBySession = new Map<string, StoredCheckpoint[]>();
  for (const row of rows) {
    const list = checkpointsBySession.get(row.session) ?? [];
    list.push({ idx: row.idx, signature: row.signature });
    checkpointsBySession.set(row.session, list);
  }
  return sessions.map((session) => ({
    sessionId: session.session_id,
    count: session.count,
    lastSignature: session.last_signature,
    checkpoints: checkpointsBySession.get(session.row_id) ?? [],
  }));
}

function nextBatch(segments: readonly LoadSegment[], start: number): LoadSegment[] {
  const batch: LoadSegment[] = [];
  let budget = BATCH_BUDGET;
  for (let index = start; index < segments.length && batch.length < MAX_SEGMENTS_PER_QUERY && budget > 0; index++) {
    const segment = segments[index] as LoadSegment;
    // Followed by more of its session: it ends at a checkpoint.
    const endsAtCheckpoint = segments[index + 1]?.sessionId === segment.sessionId;
    budget -= endsAtCheckpoint ? CHECKPOINT_BYTES : CHECKPOINT_BYTES / 2;
    batch.push(segment);
  }
  return batch;
}

async function readSegments(pool: Pool, batch: readonly LoadSegment[], rowIds: ReadonlyMap<SessionId, string>): Promise<string[][]> {
  const { rows } = await pool.query<[number, string]>({
    name: "cosync-load-transactions",
    text: `SELECT r.ord::integer, t.tx
           FROM unnest($1::bigint[], $2::integer[], $3::integer[]) WITH ORDINALITY AS r(session, lo, hi, ord)
           JOIN cosync_transactions t ON t.session = r.session AND t.idx >= r.lo AND t.idx < r.hi
           ORDER BY r.ord, t.idx`,
    values: [batch.map((s) => rowIds.get(s.sessionId)), batch.map((s) => s.after), batch.map((s) => s.after + s.count)],
    rowMode: "array",
  });
  const out: string[][] = batch.map(() => []);
  for (const [ord, tx] of rows) out[ord - 1]?.push(tx);
  return out;
}
