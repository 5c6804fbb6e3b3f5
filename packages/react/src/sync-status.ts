import type { LocalNode, SyncEvents } from "@cosync/core";

/** Where a node stands with its servers: all acknowledged, local changes not yet acknowledged, or no server connected. */
export type SyncStatus = "synced" | "unsynced" | "offline";

/** The sync status of `node` now. */
export function syncStatusOf(node: LocalNode): SyncStatus {
  const online = [...node.syncManager.peers.values()].some((peer) => peer.isServer && !peer.closed);
  if (!online) return "offline";
  return node.syncManager.unsynced.ids().length > 0 ? "unsynced" : "synced";
}

/**
 * Calls `listener` when `node`'s sync status may have changed: on every message to or from a peer
 * (acks flip "unsynced" to "synced", a new connection's first messages flip "offline"), and when a
 * server channel closes. Hooks the node's sync events (composing with those already there) and
 * restores them when stopped.
 */
export function watchSyncStatus(node: LocalNode, listener: () => void): () => void {
  const events: SyncEvents = node.syncManager.events;
  const { messageIn, messageOut } = events;
  const watched = new WeakSet<object>();
  let stopped = false;
  const check = () => {
    if (stopped) return;
    for (const peer of node.syncManager.peers.values()) {
      if (watched.has(peer)) continue;
      watched.add(peer);
      void peer.channel.closed.then(() => {
        if (!stopped) listener();
      });
    }
    // The hooks run before the message is handled (an ack updates the unsynced set after): look
    // again once the handling had a chance to run.
    listener();
    setTimeout(() => {
      if (!stopped) listener();
    }, 0);
  };
  events.messageIn = (peerId, action) => {
    messageIn?.(peerId, action);
    check();
  };
  events.messageOut = (peerId, action) => {
    messageOut?.(peerId, action);
    check();
  };
  check();
  return () => {
    stopped = true;
    if (messageIn === undefined) delete events.messageIn;
    else events.messageIn = messageIn;
    if (messageOut === undefined) delete events.messageOut;
    else events.messageOut = messageOut;
  };
}
