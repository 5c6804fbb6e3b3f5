import type { CoCrypto } from "../crypto/co-crypto.js";
import type { HashChain } from "../crypto/crypto-provider.js";
import type { SessionId } from "../ids/session-id.js";
import type { Transaction } from "../log/transaction.js";
import type { SessionLog } from "../log/session-log.js";
import { VerifiedLog } from "../log/verified-log.js";
import type { AppendChunk, AppendSessionPiece, StorageAdapter } from "../storage/storage-adapter.js";
import type { CoValueEntry } from "./co-value-entry.js";

/**
 * Reads a stored CoValue into a verified log without re-verifying (storage holds only what was
 * verified) and, when storage kept the hash-chain state, without re-hashing either.
 */
export async function readLogFromStorage(
  entry: CoValueEntry,
  storage: StorageAdapter,
  crypto: CoCrypto,
): Promise<VerifiedLog | undefined> {
  const summary = await storage.summary(entry.id);
  if (summary === undefined) return undefined;
  const log = new VerifiedLog(entry.id, summary.header, crypto);
  // Resume each session's hash chain from its saved state when this provider can read it (the
  // state is tied to the BLAKE3 build); otherwise re-hash the session while loading it.
  const chains = new Map<SessionId, HashChain>();
  for (const [sessionId, stored] of Object.entries(summary.sessions) as [SessionId, { hashState?: Uint8Array }][]) {
    if (stored.hashState === undefined) continue;
    try {
      chains.set(sessionId, crypto.provider.createHashChain(stored.hashState));
    } catch {
      // unreadable saved state: fall back to hashing
    }
  }
  for await (const piece of storage.load(entry.id)) {
    for (const [sessionId, stored] of Object.entries(piece.sessions) as [SessionId, AppendSessionPiece][]) {
      const session = log.session(sessionId);
      const transactions = stored.transactions.map((text) => JSON.parse(text) as Transaction);
      session.addTrusted(transactions, stored.transactions, stored.lastSignature, { hash: !chains.has(sessionId) });
    }
  }
  for (const [sessionId, chain] of chains) log.sessions.get(sessionId)?.restoreChain(chain);
  return log;
}

/**
 * Whether an append stores the session's hash-chain state, so loading it need not re-hash: only
 * once the session is longer than one checkpoint piece (~100 KB) or 1,024 transactions. A
 * shorter session is re-hashed on load (about 0.1 ms), which costs less than saving and writing
 * the ~2 KB state on every append of it (an append without it clears the stored one, so a state
 * never outlives the transactions it covers).
 */
function keepsHashState(session: SessionLog): boolean {
  return session.checkpoints.size > 0 || session.count >= 1024;
}

/** The storage chunk for freshly applied sessions of `log` (each from its first new transaction). */
export function chunkForStorage(
  log: VerifiedLog,
  fromBySession: ReadonlyMap<SessionId, number>,
  includeHeader: boolean,
): AppendChunk {
  const sessions: Record<SessionId, AppendSessionPiece> = {};
  for (const [sessionId, from] of fromBySession) {
    const session = log.sessions.get(sessionId);
    if (session === undefined || session.lastSignature === undefined || session.signedCount <= from) continue;
    const piece = { after: from, transactions: session.serialized.slice(from, session.signedCount), lastSignature: session.lastSignature };
    sessions[sessionId] = keepsHashState(session) ? { ...piece, hashState: session.saveChainState() } : piece;
  }
  return includeHeader ? { id: log.id, header: log.header, sessions } : { id: log.id, sessions };
}
