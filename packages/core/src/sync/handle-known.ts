import type { KnownMessage } from "../protocol/messages.js";
import { onlyHeldSessions, sessionsOf } from "./known-state.js";
import type { PeerState } from "./peer-state.js";
import { sendNewContent } from "./send-content.js";
import type { SyncManager } from "./sync-manager.js";

/**
 * A peer tells us what it holds. A correction replaces our belief and makes us resend from
 * there; a plain `known` (usually an ack) merges, and we push anything it still lacks.
 */
export function handleKnown(sync: SyncManager, peer: PeerState, message: KnownMessage): void {
  // Nothing of it here: keep no state for an id a peer merely named (memory it could grow at will).
  const held = sync.node.peekEntry(message.id);
  if (held !== undefined) {
    // Only sessions held here matter for what we send it; it may name any number of others.
    const state = onlyHeldSessions({ id: message.id, header: message.header, sessions: message.sessions }, held.log?.sessions ?? sessionsOf(held.lastKnown));
    if (message.isCorrection === true) peer.setKnown(state);
    else peer.mergeKnown(state);
  }
  sync.loads.answered(peer, message);
  // We asked this peer for a value its content depends on, and it lacks it too: that content can
  // never be verified, so it is refused now instead of waiting out its timeout.
  if (!message.header) sync.parked.senderLacks(peer, message.id);
  const entry = sync.node.peekEntry(message.id);
  if (entry?.log === undefined) return;
  if (peer.isServer || peer.isSubscribed(message.id)) sendNewContent(sync.node, peer, entry);
  sync.unsynced.checkSynced(entry, peer);
}
