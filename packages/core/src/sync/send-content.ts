import type { CoId } from "../ids/co-id.js";
import { LogVersion } from "../log/log-version.js";
import type { VerifiedLog } from "../log/verified-log.js";
import type { CoValueEntry } from "../node/co-value-entry.js";
import { dependenciesOf } from "../node/dependencies.js";
import type { ContentMessage } from "../protocol/messages.js";
import { fullContentOf } from "./full-content-cache.js";
import { type KnownState, knownStateCovers } from "./known-state.js";
import type { PeerState } from "./peer-state.js";
import type { SyncNode } from "./sync-node.js";

/**
 * What one fan-out computes once for every peer: content cut for a known state (peers that hold
 * the same state get the very same message objects, which transports then serialise once), and
 * per CoValue its known states. Valid only while no log changes (one synchronous fan-out).
 */
export class ContentMemo {
  readonly #content = new Map<string, ContentMessage[]>();
  /** The same, by known-state object: peers in step share one (see combineKnownStates). */
  readonly #contentByState = new Map<KnownState, ContentMessage[]>();
  readonly #known = new Map<string, KnownState>();
  readonly #signed = new Map<string, KnownState>();

  content(entry: CoValueEntry, known: KnownState | undefined): ContentMessage[] {
    const shared = known === undefined ? undefined : this.#contentByState.get(known);
    if (shared !== undefined) return shared;
    const log = entry.log as NonNullable<CoValueEntry["log"]>;
    const key = known === undefined ? `${entry.id}|none` : `${entry.id}|${known.header}|${JSON.stringify(known.sessions)}`;
    let messages = this.#content.get(key);
    if (messages === undefined) {
      messages = contentFor(log, known);
      this.#content.set(key, messages);
    }
    if (known !== undefined) this.#contentByState.set(known, messages);
    return messages;
  }

  knownState(entry: CoValueEntry): KnownState {
    return remembered(this.#known, entry.id, () => (entry.log as NonNullable<CoValueEntry["log"]>).knownState());
  }

  signedKnownState(entry: CoValueEntry): KnownState {
    return remembered(this.#signed, entry.id, () => (entry.log as NonNullable<CoValueEntry["log"]>).signedKnownState());
  }
}

// dependenciesOf is a function of a log's header and transactions (a group's walks all of them),
// and every subscriber's ack asks again: remember it per log while the log is unchanged.
const dependencyCache = new WeakMap<VerifiedLog, { readonly version: LogVersion; readonly dependencies: readonly CoId[] }>();

function dependenciesCached(log: VerifiedLog): readonly CoId[] {
  const cached = dependencyCache.get(log);
  if (cached?.version.matches(log) === true) return cached.dependencies;
  const dependencies = dependenciesOf(log);
  dependencyCache.set(log, { version: new LogVersion(log), dependencies });
  return dependencies;
}

function remembered<V>(map: Map<string, V>, key: string, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/** What a peer knowing `known` lacks; everything, for a peer knowing nothing, from the cache. */
function contentFor(log: VerifiedLog, known: KnownState | undefined): ContentMessage[] {
  const knowsNothing = known === undefined || (!known.header && Object.keys(known.sessions).length === 0);
  return knowsNothing ? fullContentOf(log) : log.contentSince(known);
}

/**
 * Sends `peer` what it lacks of `entry`, judged by what we optimistically believe it holds.
 * Client peers first get every dependency they lack (owner group, parent groups, accounts of
 * authors), recursively, so they can verify and read it (cojson's sendNewContent); servers don't.
 * Returns whether any content was sent for `entry` itself.
 */
export function sendNewContent(node: SyncNode, peer: PeerState, entry: CoValueEntry, visited?: Set<string>, memo?: ContentMemo): boolean {
  const log = entry.log;
  if (log === undefined || visited?.has(entry.id) === true) return false;
  visited?.add(entry.id);
  const known = peer.optimistic.get(entry.id);
  const messages = memo === undefined ? contentFor(log, known) : memo.content(entry, known);
  // Nothing of it to send, so nothing to make verifiable either: dependencies went before the
  // content they serve. Most acks end here.
  if (messages.length === 0) return false;
  if (!peer.isServer) {
    for (const dependency of dependenciesCached(log)) {
      const dependencyEntry = node.peekEntry(dependency);
      if (dependencyEntry?.log === undefined) continue;
      const theirs = peer.optimistic.get(dependency);
      const ours = memo === undefined ? dependencyEntry.log.knownState() : memo.knownState(dependencyEntry);
      if (theirs !== undefined && knownStateCovers(theirs, ours)) continue;
      // The visited set exists only once there is a dependency to send (most fan-outs have none).
      visited ??= new Set([entry.id]);
      sendNewContent(node, peer, dependencyEntry, visited, memo);
    }
  }
  for (const message of messages) peer.send(message);
  peer.mergeOptimistic(memo === undefined ? log.signedKnownState() : memo.signedKnownState(entry));
  return true;
}
