import {
  type CoId,
  type KnownState,
  type LoadSegment,
  packStoredPieces,
  planLoadSegments,
  type SessionId,
  type StoredCheckpoint,
  type StoredCoValueSummary,
  type StoredPiece,
  type StoredSessionSummary,
} from "@cosync/core";
import { knownStateOf } from "./idb-append.js";
import { inIdbTransaction, requestResult } from "./idb-requests.js";
import { type CoValueRecord, type IdbContext, rowsOf, SESSIONS_BY_COVALUE, type SessionRecord, Stores, sessionsOf } from "./idb-schema.js";

/** The CoValue record and its session records, read in one transaction (never the transactions store). */
async function readCoValue(
  ctx: IdbContext,
  id: CoId,
): Promise<{ readonly coValue: CoValueRecord | undefined; readonly sessions: SessionRecord[] }> {
  return inIdbTransaction(ctx.db, [Stores.coValues, Stores.sessions], "readonly", async (tx) => {
    const [coValue, sessions] = await Promise.all([
      requestResult(tx.objectStore(Stores.coValues).get(id) as IDBRequest<CoValueRecord | undefined>),
      requestResult(tx.objectStore(Stores.sessions).index(SESSIONS_BY_COVALUE).getAll(sessionsOf(ctx, id)) as IDBRequest<SessionRecord[]>),
    ]);
    return { coValue, sessions };
  });
}

/** What is stored for `id`, from summary records only. */
export async function readKnownState(ctx: IdbContext, id: CoId): Promise<KnownState | undefined> {
  const { coValue, sessions } = await readCoValue(ctx, id);
  return coValue === undefined ? undefined : knownStateOf(id, true, sessions);
}

/** Header and per-session summaries; undefined if the CoValue is not stored. */
export async function readSummary(ctx: IdbContext, id: CoId): Promise<StoredCoValueSummary | undefined> {
  const { coValue, sessions } = await readCoValue(ctx, id);
  if (coValue === undefined) return undefined;
  const summaries: Record<SessionId, StoredSessionSummary> = {};
  for (const session of sessions) {
    const base = { count: session.count, lastSignature: session.lastSignature };
    summaries[session.sessionId] = session.hashState === undefined ? base : { ...base, hashState: session.hashState };
  }
  return { header: coValue.header, sessions: summaries };
}

/**
 * Yields what is stored beyond `since`, cut and packed by core's `planLoadSegments` and
 * `packStoredPieces`, in session-id order (the index order).
 *
 * Planning reads summaries and checkpoints in one transaction; each segment's rows are then read
 * in a transaction of their own, because an IndexedDB transaction ends as soon as the consumer
 * awaits anything else between pieces. Rows are append-only, so this is consistent; a segment
 * that comes back short (a concurrent `markDeleted`) is dropped by `packStoredPieces`.
 */
export async function* loadPieces(ctx: IdbContext, id: CoId, since: KnownState | undefined): AsyncGenerator<StoredPiece> {
  const plan = await inIdbTransaction(ctx.db, [Stores.coValues, Stores.sessions, Stores.checkpoints], "readonly", async (tx) => {
    const [coValue, sessions] = await Promise.all([
      requestResult(tx.objectStore(Stores.coValues).get(id) as IDBRequest<CoValueRecord | undefined>),
      requestResult(tx.objectStore(Stores.sessions).index(SESSIONS_BY_COVALUE).getAll(sessionsOf(ctx, id)) as IDBRequest<SessionRecord[]>),
    ]);
    const wanted = sessions.filter((session) => session.count > (since?.sessions[session.sessionId] ?? 0));
    const checkpoints = await Promise.all(
      wanted.map((session) => {
        const range = rowsOf(ctx, session.key, since?.sessions[session.sessionId] ?? 0);
        return requestResult(tx.objectStore(Stores.checkpoints).getAll(range) as IDBRequest<StoredCheckpoint[]>);
      }),
    );
    return { coValue, wanted, checkpoints };
  });
  if (plan.coValue === undefined) return;
  const keys = new Map(plan.wanted.map((session) => [session.sessionId, session.key]));
  const extents = plan.wanted.map((session, index) => ({
    sessionId: session.sessionId,
    count: session.count,
    lastSignature: session.lastSignature,
    checkpoints: plan.checkpoints[index] ?? [],
  }));
  const segments = planLoadSegments(extents, since?.sessions);
  const header = since?.header === true ? undefined : plan.coValue.header;
  yield* packStoredPieces(id, header, segments, (segment: LoadSegment) => readSegment(ctx, keys.get(segment.sessionId), segment));
}

async function readSegment(ctx: IdbContext, key: number | undefined, segment: LoadSegment): Promise<string[] | undefined> {
  if (key === undefined) return undefined;
  const range = rowsOf(ctx, key, segment.after, segment.after + segment.count - 1);
  return inIdbTransaction(ctx.db, [Stores.transactions], "readonly", (tx) =>
    requestResult(tx.objectStore(Stores.transactions).getAll(range) as IDBRequest<string[]>),
  );
}
