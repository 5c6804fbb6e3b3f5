// What storage holds of one CoValue, described without its content: per session the author,
// transaction counts (private/trusting), stored bytes and the first/last madeAt. Reads only
// transaction envelopes: changes (plaintext of trusting values) and encryptedChanges are never
// kept or printed.
import { type CoId, type CoValueHeader, isDeleteSessionId, type SessionId, sessionOwner, type StorageAdapter } from "@cosync/core";

export interface SessionReport {
  readonly session: SessionId;
  readonly author: string;
  /** A delete session (ends in `$`): its transactions mark the value deleted. */
  readonly deletes: boolean;
  readonly transactions: number;
  readonly privateTransactions: number;
  readonly trustingTransactions: number;
  /** Stored transaction text, in UTF-16 code units (as storage counts checkpoints). */
  readonly bytes: number;
  readonly firstMadeAt: string | null;
  readonly lastMadeAt: string | null;
}

export interface ValueReport {
  readonly id: CoId;
  readonly header: CoValueHeader;
  readonly kind: string;
  readonly deleted: boolean;
  readonly sessions: readonly SessionReport[];
  readonly transactions: number;
  readonly bytes: number;
  readonly firstMadeAt: string | null;
  readonly lastMadeAt: string | null;
  /** madeAt of every transaction, for growth statistics (only when asked for). */
  readonly madeAts?: readonly number[];
}

/** account, group, comap, colist, costream, binary costream or coplaintext. */
export function kindOfHeader(header: CoValueHeader): string {
  if (header.ruleset.type === "group") return header.meta?.type === "account" ? "account" : "group";
  if (header.type === "costream" && header.meta?.type === "binary") return "binary costream";
  return header.type;
}

// Canonical JSON puts madeAt and privacy at the top level of the transaction object; matching them
// avoids parsing (and holding) the changes.
const MADE_AT = /"madeAt":(\d+)/;
const PRIVATE = /^\{"encryptedChanges":|"privacy":"private"/;

/** Transaction texts of some sessions, as a store's load or a node's log gives them. */
export type SessionTexts = Readonly<Record<SessionId, { readonly transactions: readonly string[] }>>;

/** Reads `id`'s stored logs into a report; undefined if nothing is stored. */
export async function reportValue(storage: StorageAdapter, id: CoId, options: { readonly keepMadeAts?: boolean } = {}): Promise<ValueReport | undefined> {
  const summary = await storage.summary(id);
  if (summary === undefined) return undefined;
  const pieces = (async function* () {
    for await (const piece of storage.load(id)) yield piece.sessions;
  })();
  return reportPieces(id, summary.header, await storage.isDeleted(id), pieces, options);
}

/** A report from the pieces of one value, wherever they come from. */
export async function reportPieces(
  id: CoId,
  header: CoValueHeader,
  deleted: boolean,
  pieces: AsyncIterable<SessionTexts> | Iterable<SessionTexts>,
  options: { readonly keepMadeAts?: boolean } = {},
): Promise<ValueReport> {
  const sessions = new Map<SessionId, { transactions: number; private: number; bytes: number; first: number; last: number }>();
  const madeAts: number[] = [];
  for await (const piece of pieces) {
    for (const [sessionId, stored] of Object.entries(piece) as [SessionId, { transactions: readonly string[] }][]) {
      let session = sessions.get(sessionId);
      if (session === undefined) {
        session = { transactions: 0, private: 0, bytes: 0, first: Number.POSITIVE_INFINITY, last: Number.NEGATIVE_INFINITY };
        sessions.set(sessionId, session);
      }
      for (const text of stored.transactions) {
        session.transactions++;
        session.bytes += text.length;
        if (PRIVATE.test(text)) session.private++;
        const madeAt = Number(MADE_AT.exec(text)?.[1] ?? Number.NaN);
        if (Number.isFinite(madeAt)) {
          session.first = Math.min(session.first, madeAt);
          session.last = Math.max(session.last, madeAt);
          if (options.keepMadeAts === true) madeAts.push(madeAt);
        }
      }
    }
  }
  const reports: SessionReport[] = [...sessions].map(([session, s]) => ({
    session,
    author: sessionOwner(session),
    deletes: isDeleteSessionId(session),
    transactions: s.transactions,
    privateTransactions: s.private,
    trustingTransactions: s.transactions - s.private,
    bytes: s.bytes,
    firstMadeAt: isoOrNull(s.first),
    lastMadeAt: isoOrNull(s.last),
  }));
  const first = Math.min(...[...sessions.values()].map((s) => s.first));
  const last = Math.max(...[...sessions.values()].map((s) => s.last));
  return {
    id,
    header,
    kind: kindOfHeader(header),
    deleted,
    sessions: reports,
    transactions: reports.reduce((sum, s) => sum + s.transactions, 0),
    bytes: reports.reduce((sum, s) => sum + s.bytes, 0),
    firstMadeAt: isoOrNull(first),
    lastMadeAt: isoOrNull(last),
    ...(options.keepMadeAts === true ? { madeAts } : {}),
  };
}

function isoOrNull(ms: number): string | null {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}
