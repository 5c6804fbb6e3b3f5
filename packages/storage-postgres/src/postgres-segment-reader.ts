import { CHECKPOINT_BYTES, type LoadSegment, type SessionId } from "@cosync/core";
import type { Pool } from "pg";

// Rows are fetched a batch of segments per query. A segment that ends at a checkpoint holds about
// CHECKPOINT_BYTES; one that ends at the last signature holds less (counted as half). Batches stop
// at ~8 checkpoints' worth, so a cold load of a big value takes a few queries while memory stays
// bounded for a huge one.
const BATCH_BUDGET = 8 * CHECKPOINT_BYTES;
const MAX_SEGMENTS_PER_QUERY = 64;

/** Consecutive segments of one session in a batch: one index range scan. */
interface RowRange {
  readonly rowId: string;
  readonly from: number;
  readonly to: number;
  readonly segments: LoadSegment[];
}

/**
 * Reads the transactions of load segments on demand, prefetching the segments that follow.
 *
 * `read(segment)` must be called in plan order (as `packStoredPieces` does). It returns the
 * segment's rows, possibly fewer than planned if the session was erased meanwhile.
 */
export function createSegmentReader(
  pool: Pool,
  segments: readonly LoadSegment[],
  rowIds: ReadonlyMap<SessionId, string>,
): (segment: LoadSegment) => Promise<string[]> {
  const fetched = new Map<LoadSegment, string[]>();
  let position = 0;
  return async (segment) => {
    if (!fetched.has(segment)) {
      position = segments.indexOf(segment, position);
      const ranges = toRanges(nextBatch(segments, position), rowIds);
      await readRanges(pool, ranges, fetched);
    }
    const transactions = fetched.get(segment) ?? [];
    fetched.delete(segment);
    return transactions;
  };
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

function toRanges(batch: readonly LoadSegment[], rowIds: ReadonlyMap<SessionId, string>): RowRange[] {
  const ranges: RowRange[] = [];
  for (const segment of batch) {
    const last = ranges[ranges.length - 1];
    const rowId = rowIds.get(segment.sessionId) ?? "0";
    if (last !== undefined && last.rowId === rowId && last.to === segment.after) {
      ranges[ranges.length - 1] = { ...last, to: segment.after + segment.count, segments: [...last.segments, segment] };
    } else {
      ranges.push({ rowId, from: segment.after, to: segment.after + segment.count, segments: [segment] });
    }
  }
  return ranges;
}

// One range (the common case: a big session) is a plain index range scan; several are joined to an
// unnest of ranges, which costs a sort on the range number.
async function readRanges(pool: Pool, ranges: readonly RowRange[], into: Map<LoadSegment, string[]>): Promise<void> {
  const only = ranges.length === 1 ? ranges[0] : undefined;
  const { rows } =
    only !== undefined
      ? await pool.query<[number, number, string]>({
          name: "cosync-load-range",
          text: "SELECT 1, idx, tx FROM cosync_transactions WHERE session = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
          values: [only.rowId, only.from, only.to],
          rowMode: "array",
        })
      : await pool.query<[number, number, string]>({
          name: "cosync-load-ranges",
          text: `SELECT r.ord::integer, t.idx, t.tx
                 FROM unnest($1::bigint[], $2::integer[], $3::integer[]) WITH ORDINALITY AS r(session, lo, hi, ord)
                 JOIN cosync_transactions t ON t.session = r.session AND t.idx >= r.lo AND t.idx < r.hi
                 ORDER BY r.ord, t.idx`,
          values: [ranges.map((r) => r.rowId), ranges.map((r) => r.from), ranges.map((r) => r.to)],
          rowMode: "array",
        });
  for (const range of ranges) for (const segment of range.segments) into.set(segment, []);
  // Rows arrive ordered by range, then index: walk each range's segments alongside.
  let rangeIndex = -1;
  let segmentIndex = 0;
  for (const [ord, idx, tx] of rows) {
    const range = ranges[ord - 1];
    if (range === undefined) continue;
    if (ord - 1 !== rangeIndex) {
      rangeIndex = ord - 1;
      segmentIndex = 0;
    }
    let segment = range.segments[segmentIndex];
    while (segment !== undefined && idx >= segment.after + segment.count) segment = range.segments[++segmentIndex];
    if (segment !== undefined && idx >= segment.after) into.get(segment)?.push(tx);
  }
}
