import type { SessionId } from "../ids/session-id.js";
import type { CoValueEntry } from "../node/co-value-entry.js";
import type { StoredSessionPiece } from "../storage/storage-adapter.js";
import type { Transaction } from "../log/transaction.js";
import type { SyncManager } from "./sync-manager.js";

/** What a refresh found: how many transactions storage held beyond memory (now applied and forwarded). */
export interface RefreshOutcome {
  readonly applied: number;
}

/**
 * Brings a value held in memory up to what storage holds, when something other than this node
 * (another server process sharing the database) appended to it: reads only what lies beyond the
 * in-memory known state, applies it as content loaded from storage (trusted: storage holds only
 * what a node verified before appending, the same trust `loadFromStorage` gives it), and forwards
 * it to subscribed peers through the normal sync path.
 *
 * Values not in memory are left alone: they are read fresh from storage when next needed. A value
 * still loading is refreshed once its load settles (the load's snapshot may predate the append).
 */
export async function refreshFromStorage(sync: SyncManager, entry: CoValueEntry): Promise<RefreshOutcome> {
  const node = sync.node;
  const storage = node.storage;
  if (storage === undefined) return { applied: 0 };
  if (entry.loading !== undefined) await entry.loading;
  const log = entry.log;
  if (log === undefined || entry.deleted) return { applied: 0 };
  let applied = 0;
  for await (const piece of storage.load(entry.id, log.knownState())) {
    // Checked after every await: the value may have been evicted or replaced meanwhile.
    if (entry.log !== log) return { applied };
    for (const [sessionId, stored] of Object.entries(piece.sessions) as [SessionId, StoredSessionPiece][]) {
      applied += applyStoredPiece(entry, sessionId, stored);
    }
  }
  if (applied > 0) {
    sync.entryBecameAvailable(entry);
    node.entryChanged(entry);
    sync.forwardSoon(entry);
  }
  return { applied };
}

/**
 * Appends the part of a stored piece memory lacks. Memory may have moved on while storage was read
 * (a peer's content for the same session applied meanwhile), so the overlap is skipped here, at
 * the moment of applying, not when the read was planned.
 */
function applyStoredPiece(entry: CoValueEntry, sessionId: SessionId, stored: StoredSessionPiece): number {
  const session = (entry.log as NonNullable<CoValueEntry["log"]>).session(sessionId);
  const held = session.count;
  // Memory holds transactions storage places later: a gap we cannot fill from this piece.
  if (stored.after > held) return 0;
  const skip = held - stored.after;
  if (skip >= stored.transactions.length) return 0;
  const serialized = stored.transactions.slice(skip);
  const transactions = serialized.map((text) => JSON.parse(text) as Transaction);
  session.addTrusted(transactions, serialized, stored.lastSignature, { hash: true });
  return transactions.length;
}
