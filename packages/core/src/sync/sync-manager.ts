import type { CoId } from "../ids/co-id.js";
import type { CoValueEntry } from "../node/co-value-entry.js";
import { dependenciesOf } from "../node/dependencies.js";
import type { ContentMessage, ErrorNotice, SyncMessage } from "../protocol/messages.js";
import { validateSyncMessage } from "../protocol/validate.js";
import type { Cancel } from "../time/clock.js";
import type { PeerChannel } from "../transport/peer-channel.js";
import { handleContent } from "./handle-content.js";
import { handleKnown } from "./handle-known.js";
import { handleLoad } from "./handle-load.js";
import { defaultLoadLimits, type LoadLimits, LoadTracker } from "./load-tracker.js";
import { PeerState } from "./peer-state.js";
import { channelFromSeedPeer, isPeerChannel, type SeedPeer } from "./seed-peer.js";
import { ContentMemo, sendNewContent } from "./send-content.js";
import type { SyncEvents } from "./sync-events.js";
import type { SyncNode } from "./sync-node.js";
import { UnsyncedTracker } from "./unsynced-tracker.js";

export interface SyncOptions extends Partial<LoadLimits> {
  readonly events?: SyncEvents;
  /** How long content may wait for its signer accounts before it is refused (default 60 s). */
  readonly parkTimeoutMs?: number;
  /** How many messages may wait per CoValue; more are refused at once (default 1,000). */
  readonly maxParkedPerValue?: number;
}

/**
 * Keeps a node in sync with its peers: validates and dispatches incoming messages (one peer's
 * messages in order, peers interleaved), pushes new content to subscribers (dependencies first to
 * clients), loads from servers, tracks what each server still lacks. The seed's API stays:
 * `node.syncManager.addPeer({ id, role, incoming, outgoing })`, or a PeerChannel.
 */
export class SyncManager {
  readonly node: SyncNode;
  readonly peers = new Map<string, PeerState>();
  readonly loads: LoadTracker;
  readonly unsynced: UnsyncedTracker;
  readonly events: SyncEvents;
  /** Confirmed states of persistent peers, kept across their reconnects. */
  readonly #persistentStates = new Map<string, PeerState["confirmed"]>();
  readonly #parkedWaitingOn = new Map<CoId, Set<CoValueEntry>>();
  readonly #localChanges = new Set<CoValueEntry>();
  readonly #parkTimers = new Map<CoValueEntry, Cancel>();
  readonly #parkTimeoutMs: number;
  readonly #maxParkedPerValue: number;
  #localFlushScheduled = false;

  constructor(node: SyncNode, options: SyncOptions = {}) {
    this.node = node;
    this.events = options.events ?? {};
    this.loads = new LoadTracker(this, { ...defaultLoadLimits, ...options });
    this.unsynced = new UnsyncedTracker(this);
    this.#parkTimeoutMs = options.parkTimeoutMs ?? 60_000;
    this.#maxParkedPerValue = options.maxParkedPerValue ?? 1_000;
  }

  /** Connects a peer; returns its state. A peer with an id already connected replaces it. */
  addPeer(peer: PeerChannel | SeedPeer): PeerState {
    const channel = isPeerChannel(peer) ? peer : channelFromSeedPeer(peer);
    this.peers.get(channel.peerId)?.channel.close({ code: 1000, reason: "replaced by a new connection" });
    const state = new PeerState(channel);
    const kept = channel.persistent ? this.#persistentStates.get(channel.peerId) : undefined;
    if (kept !== undefined) {
      for (const [id, known] of kept) state.confirmed.set(id, known);
      state.resetOptimistic();
    }
    this.peers.set(channel.peerId, state);
    const queue: unknown[] = [];
    let draining = false;
    const drain = async () => {
      draining = true;
      while (queue.length > 0 && !state.closed) {
        try {
          await this.#receive(state, queue.shift());
        } catch (error) {
          this.node.logger.error({ err: error, peer: state.id }, "sync handler failed");
        }
      }
      draining = false;
    };
    channel.onMessage((message) => {
      queue.push(message);
      if (!draining) void drain();
    });
    void channel.closed.then(() => this.#peerClosed(state));
    if (state.isServer) void this.#greetServer(state);
    this.loads.peerAdded(state);
    return state;
  }

  serverPeerCount(): number {
    let count = 0;
    for (const peer of this.peers.values()) if (peer.isServer && !peer.closed) count++;
    return count;
  }

  #peerClosed(state: PeerState): void {
    state.closed = true;
    if (this.peers.get(state.id) === state) this.peers.delete(state.id);
    if (state.channel.persistent) this.#persistentStates.set(state.id, state.confirmed);
    this.loads.peerClosed(state);
    this.#dropParkedFrom(state);
  }

  // Content parked by a closed connection can no longer be acknowledged or refused to its sender
  // (who resends it on reconnecting): drop it now rather than holding it until the park timeout.
  #dropParkedFrom(state: PeerState): void {
    for (const [entry, cancel] of [...this.#parkTimers]) {
      const kept = entry.parked.filter((parked) => parked.peer !== state);
      if (kept.length === entry.parked.length) continue;
      entry.parked.splice(0, entry.parked.length, ...kept);
      if (kept.length > 0) continue;
      cancel();
      this.#parkTimers.delete(entry);
      for (const [account, waiting] of this.#parkedWaitingOn) {
        waiting.delete(entry);
        if (waiting.size === 0) this.#parkedWaitingOn.delete(account);
      }
    }
  }

  async #receive(peer: PeerState, raw: unknown): Promise<void> {
    const validated = validateSyncMessage(raw);
    if (!validated.ok) {
      const { message, id } = validated.error;
      this.refuse(peer, id === undefined ? { code: "MalformedMessage", message } : { code: "MalformedMessage", id, message });
      return;
    }
    const message: SyncMessage = validated.value;
    this.events.messageIn?.(peer.id, message.action);
    switch (message.action) {
      case "load":
        return handleLoad(this, peer, message);
      case "known":
        return handleKnown(this, peer, message);
      case "content":
        return handleContent(this, peer, peer.isServer ? message : withoutStreamingTarget(message));
      case "done":
        return;
      case "reconcile":
        // Full storage reconciliation: ask for what we lack, then acknowledge the batch.
        for (const [id] of message.values) {
          const entry = this.node.peekEntry(id);
          peer.send({ action: "load", ...(entry?.knownState() ?? { id, header: false, sessions: {} }) });
        }
        peer.send({ action: "reconcile-ack", id: message.id });
        return;
      case "reconcile-ack":
        return;
    }
  }

  /** Sends an explicit error notice (to peers that accept them) and counts the refusal. */
  refuse(peer: PeerState, error: ErrorNotice["error"]): void {
    this.events.rejected?.(peer.id, error.code);
    this.node.logger.warn({ peer: peer.id, ...error }, "refused input from peer");
    if (peer.channel.acceptsErrorNotices) peer.send({ error });
  }

  /** New content in `entry`: push it to every server peer and every subscribed client but `source`. */
  forward(entry: CoValueEntry, source?: PeerState): void {
    const memo = new ContentMemo();
    for (const peer of this.peers.values()) {
      if (peer === source || peer.closed) continue;
      if (peer.isServer || peer.isSubscribed(entry.id)) sendNewContent(this.node, peer, entry, new Set(), memo);
    }
  }

  /** A local write: batched per microtask, preserving order across CoValues. */
  localChange(entry: CoValueEntry): void {
    this.#localChanges.add(entry);
    this.unsynced.markChanged(entry);
    if (this.#localFlushScheduled) return;
    this.#localFlushScheduled = true;
    queueMicrotask(() => {
      this.#localFlushScheduled = false;
      const entries = [...this.#localChanges];
      this.#localChanges.clear();
      for (const changed of entries) this.forward(changed);
    });
  }

  /**
   * Makes `entry` available: from storage, else (for a client's request or our own) from servers.
   * A value found in local storage is still subscribed at our servers (a `load` with what we hold),
   * so changes made elsewhere reach us — the spec's "storage, then server peers".
   */
  async makeAvailable(entry: CoValueEntry, requester?: PeerState): Promise<void> {
    if (entry.log !== undefined) return;
    await this.node.loadFromStorage(entry);
    if (entry.log !== undefined) {
      if (requester === undefined || !requester.isServer) this.#subscribeAtServers(entry, requester);
      return;
    }
    if (requester === undefined || !requester.isServer) await this.loads.request(entry, requester);
  }

  #subscribeAtServers(entry: CoValueEntry, except?: PeerState): void {
    for (const peer of this.peers.values()) {
      if (!peer.isServer || peer.closed || peer === except || peer.isSubscribed(entry.id)) continue;
      peer.send({ action: "load", ...entry.knownState() });
    }
  }

  /** Content whose signer accounts are missing waits here until they arrive. */
  /** Queues content behind content of the same value that already waits; false if refused. */
  parkBehind(entry: CoValueEntry, peer: PeerState, message: ContentMessage): boolean {
    // Parked content costs memory on the peer's word alone: bound it in count and in time.
    if (entry.parked.length >= this.#maxParkedPerValue) {
      this.refuse(peer, { code: "RateLimited", id: entry.id, message: `more than ${this.#maxParkedPerValue} messages are waiting for this value's signers` });
      return false;
    }
    entry.parked.push({ peer, message });
    return true;
  }

  park(entry: CoValueEntry, peer: PeerState, message: ContentMessage, accounts: CoId[]): void {
    if (!this.parkBehind(entry, peer, message)) return;
    if (entry.parked.length === 1) this.#parkTimers.set(entry, this.node.clock.setTimeout(() => this.#expireParked(entry, accounts), this.#parkTimeoutMs));
    for (const account of accounts) {
      let waiting = this.#parkedWaitingOn.get(account);
      if (waiting === undefined) {
        waiting = new Set();
        this.#parkedWaitingOn.set(account, waiting);
      }
      waiting.add(entry);
      const accountEntry = this.node.entry(account);
      // Ask the sender (it must have it, spec §5) and our servers.
      peer.send({ action: "load", ...accountEntry.knownState() });
      void this.makeAvailable(accountEntry, peer);
    }
  }

  /** An entry got its header: wake loads waiting for it and content parked behind it. */
  entryBecameAvailable(entry: CoValueEntry): void {
    this.loads.available(entry.id);
    const waiting = this.#parkedWaitingOn.get(entry.id);
    if (waiting === undefined) return;
    this.#parkedWaitingOn.delete(entry.id);
    for (const parkedEntry of waiting) void this.#replayParked(parkedEntry);
  }

  #expireParked(entry: CoValueEntry, accounts: CoId[]): void {
    this.#parkTimers.delete(entry);
    const expired = entry.parked.splice(0);
    for (const [account, waiting] of this.#parkedWaitingOn) {
      waiting.delete(entry);
      if (waiting.size === 0) this.#parkedWaitingOn.delete(account);
    }
    for (const { peer } of expired) {
      if (peer.closed) continue;
      const message = `signer accounts ${accounts.join(", ")} did not arrive within ${this.#parkTimeoutMs} ms; content not applied`;
      this.refuse(peer, { code: "UnknownSigner", id: entry.id, message });
    }
  }

  async #replayParked(entry: CoValueEntry): Promise<void> {
    this.#parkTimers.get(entry)?.();
    this.#parkTimers.delete(entry);
    const parked = entry.parked.splice(0);
    for (const { peer, message } of parked) {
      if (peer.closed) continue;
      if (entry.parked.length > 0) {
        entry.parked.push({ peer, message });
        continue;
      }
      await handleContent(this, peer, message);
    }
  }

  /** On connecting to a server: subscribe to everything we hold, dependencies first. */
  async #greetServer(peer: PeerState): Promise<void> {
    const storage = this.node.storage;
    if (storage !== undefined) {
      const persisted = await storage.listUnsynced();
      this.unsynced.restore(persisted);
      for (const { id } of persisted) await this.node.loadFromStorage(this.node.entry(id));
    }
    const sent = new Set<CoId>();
    const sendLoad = (entry: CoValueEntry) => {
      if (sent.has(entry.id) || entry.log === undefined) return;
      sent.add(entry.id);
      for (const dependency of dependenciesOf(entry.log)) {
        const dependencyEntry = this.node.peekEntry(dependency);
        if (dependencyEntry !== undefined) sendLoad(dependencyEntry);
      }
      peer.send({ action: "load", ...entry.log.knownState() });
    };
    for (const entry of this.node.allEntries()) {
      if (entry.log !== undefined) sendLoad(entry);
      // Unloaded values are still ours: subscribe from their last known state.
      else if (entry.state === "unloaded" && entry.lastKnown !== undefined && !sent.has(entry.id)) {
        sent.add(entry.id);
        peer.send({ action: "load", ...entry.lastKnown });
      }
    }
  }

  /** Resolves when server peers acknowledged everything of `id` we hold. */
  waitForSync(id: CoId): Promise<void> {
    this.node.sealLocalWrites();
    return this.unsynced.waitForSync(id);
  }

  /** Resolves when server peers acknowledged everything we hold. */
  async waitForAllSynced(): Promise<void> {
    this.node.sealLocalWrites();
    await Promise.all(this.unsynced.ids().map((id) => this.unsynced.waitForSync(id)));
  }
}

// cojson strips expectContentUntil from clients: client→client streaming is unsupported.
function withoutStreamingTarget(message: ContentMessage): ContentMessage {
  if (message.expectContentUntil === undefined) return message;
  const { expectContentUntil: _ignored, ...rest } = message;
  return rest;
}
