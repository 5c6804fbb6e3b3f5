import { isDeleteSessionId, type SessionId } from "../ids/session-id.js";
import type { SessionPiece } from "../log/session-log.js";
import type { CoValueEntry } from "../node/co-value-entry.js";
import type { ContentMessage } from "../protocol/messages.js";
import type { PeerState } from "./peer-state.js";
import type { SyncManager } from "./sync-manager.js";

/** What of a content message may be applied, given deletion rules (cojson 0.20's deletion rules). */
export interface DeletionFilter {
  readonly pieces: Record<SessionId, SessionPiece>;
  /** A valid delete transaction is among the pieces: the value becomes deleted. */
  readonly deletes: boolean;
  /** Counts of sessions skipped because the value is deleted (acknowledged as if held). */
  readonly skipped: Record<SessionId, number>;
}

/**
 * Checks delete sessions at ingest, as cojson does: only an admin of the owner group may delete,
 * a delete session holds exactly one marker transaction, groups can't be deleted. Once a value is
 * deleted, only delete sessions are taken; the rest is skipped (and acknowledged so peers stop
 * resending it).
 */
export function filterForDeletion(sync: SyncManager, peer: PeerState, entry: CoValueEntry, message: ContentMessage): DeletionFilter {
  const pieces: Record<SessionId, SessionPiece> = {};
  const skipped: Record<SessionId, number> = {};
  let deletes = false;
  for (const [sessionId, piece] of Object.entries(message.new) as [SessionId, SessionPiece][]) {
    if (!isDeleteSessionId(sessionId)) {
      if (entry.deleted) skipped[sessionId] = piece.after + piece.newTransactions.length;
      else pieces[sessionId] = piece;
      continue;
    }
    const check = sync.node.checkDeletion(entry, sessionId, piece);
    if (check.type === "Rejected") {
      sync.refuse(peer, { code: "Forbidden", id: message.id, session: sessionId, message: `${check.reason}: ${check.message}` });
      continue;
    }
    if (check.type === "Delete") deletes = true;
    pieces[sessionId] = piece;
  }
  return { pieces, deletes, skipped };
}
