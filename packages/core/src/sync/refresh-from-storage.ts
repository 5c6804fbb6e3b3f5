import { isDeleteSessionId, type SessionId } from "../ids/session-id.js";
import type { CoValueEntry } from "../node/co-value-entry.js";
import type { StorageAdapter, StoredSessionPiece } from "../storage/storage-adapter.js";
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
 *
 * A valid delete session among what is read deletes the value here too, in memory only (the
 * process that took the deletion records it in the shared storage): its other sessions are
 * dropped, so loads and subscribers here get only delete sessions from now on, and subscribers are
 * sent the delete session.
 */
export async function refreshFromStorage(sync: SyncManager, entry: CoValueEntry): Promise<RefreshOutcome> {
  const node = sync.node;
  const storage = node.storage;
  if (storage === undefined) return { applied: 0 };
  if (entry.loading !== undefined) await entry.loading;
  const log = entry.log;
  if (log === undefined || entry.deleted) return { applied: 0 };
  let applied = 0;
  let deleteSessions = false;
  for await (const piece of storage.load(entry.id, log.knownState())) {
    // Checked after every await: the value may have been evicted or replaced meanwhile.
    if (entry.log !== log) return { applied };
    for (const [sessionId, stored] of Object.entries(piece.sessions) as [SessionId, StoredSessionPiece][]) {
      const isDeleteSession = isDeleteSessionId(sessionId);
      // Deleted meanwhile (a peer's delete session applied): only delete sessions are kept.
      if (entry.deleted && !isDeleteSession) continue;
      const count = applyStoredPiece(entry, sessionId, stored);
      applied += count;
      if (count > 0 && isDeleteSession) deleteSessions = true;
    }
  }
  // Another process took a deletion (and erases the rest from storage): do its in-memory part
  // here too, or this process would go on serving — and caching — the deleted content.
  if (deleteSessions && !entry.deleted && (await deletionHolds(sync, entry, storage)) && entry.log === log && !entry.deleted) {
    node.deleteInMemory(entry);
  }
  if (applied > 0) {
    sync.entryBecameAvailable(entry);
    node.entryChanged(entry);
    sync.forwardSoon(entry);
  }
  return { applied };
}

/**
 * Whether the delete sessions `entry` now holds delete it. Judged as at ingest, against the owner
 * group as held here; that group may lag behind storage (its own refresh has not run yet), so it
 * is brought up to date and judged again. Failing that, storage's tombstone decides: the deleting
 * process judged the deletion with its groups before recording it (storage is trusted, as on load).
 * If neither holds yet, the value stays as it is until it is next loaded from storage.
 */
async function deletionHolds(sync: SyncManager, entry: CoValueEntry, storage: StorageAdapter): Promise<boolean> {
  const node = sync.node;
  if (node.holdsValidDeletion(entry)) return true;
  const ruleset = entry.log?.header.ruleset;
  if (ruleset?.type === "ownedByGroup") {
    const group = node.entry(ruleset.group);
    if (group.log === undefined) {
      await node.loadFromStorage(group);
      node.forgetIfUnused(group);
    } else await refreshFromStorage(sync, group);
    if (node.holdsValidDeletion(entry)) return true;
  }
  return storage.isDeleted(entry.id);
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
