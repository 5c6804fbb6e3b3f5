import type { CoValueEntry } from "../node/co-value-entry.js";
import { dependenciesOf } from "../node/dependencies.js";
import type { SyncNode } from "./sync-node.js";
import type { ContentMessage } from "../protocol/messages.js";
import { type KnownState, knownStateCovers } from "./known-state.js";
import type { PeerState } from "./peer-state.js";

/**
 * Sends `peer` what it lacks of `entry`, judged by what we optimistically believe it holds.
 * Client peers first get every dependency they lack (owner group, parent groups, accounts of
 * authors), recursively, so they can verify and read it (spec §5 sendNewContent); servers don't.
 * Returns whether any content was sent for `entry` itself.
 */
/**
 * Content already cut for a known state during one fan-out, so peers that hold the same state get
 * the very same message objects (which transports then serialise once).
 */
export type ContentMemo = Map<string, ContentMessage[]>;

function contentFor(entry: CoValueEntry, known: KnownState | undefined, memo: ContentMemo | undefined): ContentMessage[] {
  const log = entry.log as NonNullable<CoValueEntry["log"]>;
  if (memo === undefined) return log.contentSince(known);
  const key = known === undefined ? `${entry.id}|none` : `${entry.id}|${known.header}|${JSON.stringify(known.sessions)}`;
  let messages = memo.get(key);
  if (messages === undefined) {
    messages = log.contentSince(known);
    memo.set(key, messages);
  }
  return messages;
}

export function sendNewContent(
  node: SyncNode,
  peer: PeerState,
  entry: CoValueEntry,
  visited = new Set<string>(),
  memo?: ContentMemo,
): boolean {
  const log = entry.log;
  if (log === undefined || visited.has(entry.id)) return false;
  visited.add(entry.id);
  if (!peer.isServer) {
    for (const dependency of dependenciesOf(log)) {
      const dependencyEntry = node.peekEntry(dependency);
      if (dependencyEntry?.log === undefined) continue;
      const theirs = peer.optimistic.get(dependency);
      if (theirs !== undefined && knownStateCovers(theirs, dependencyEntry.log.knownState())) continue;
      sendNewContent(node, peer, dependencyEntry, visited, memo);
    }
  }
  const messages = contentFor(entry, peer.optimistic.get(entry.id), memo);
  for (const message of messages) peer.send(message);
  if (messages.length > 0) peer.mergeOptimistic(log.signedKnownState());
  return messages.length > 0;
}
