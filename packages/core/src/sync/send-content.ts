import type { CoValueEntry } from "../node/co-value-entry.js";
import { dependenciesOf } from "../node/dependencies.js";
import type { SyncNode } from "./sync-node.js";
import { knownStateCovers } from "./known-state.js";
import type { PeerState } from "./peer-state.js";

/**
 * Sends `peer` what it lacks of `entry`, judged by what we optimistically believe it holds.
 * Client peers first get every dependency they lack (owner group, parent groups, accounts of
 * authors), recursively, so they can verify and read it (spec §5 sendNewContent); servers don't.
 * Returns whether any content was sent for `entry` itself.
 */
export function sendNewContent(node: SyncNode, peer: PeerState, entry: CoValueEntry, visited = new Set<string>()): boolean {
  const log = entry.log;
  if (log === undefined || visited.has(entry.id)) return false;
  visited.add(entry.id);
  if (!peer.isServer) {
    for (const dependency of dependenciesOf(log)) {
      const dependencyEntry = node.peekEntry(dependency);
      if (dependencyEntry?.log === undefined) continue;
      const theirs = peer.optimistic.get(dependency);
      if (theirs !== undefined && knownStateCovers(theirs, dependencyEntry.log.knownState())) continue;
      sendNewContent(node, peer, dependencyEntry, visited);
    }
  }
  const messages = log.contentSince(peer.optimistic.get(entry.id));
  for (const message of messages) peer.send(message);
  if (messages.length > 0) peer.mergeOptimistic(log.signedKnownState());
  return messages.length > 0;
}
