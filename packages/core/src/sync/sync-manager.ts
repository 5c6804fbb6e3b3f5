import type { CoId } from "../ids/co-id.js";
import { type SyncRefusal, SyncTimeoutError } from "../node/app-errors.js";
import type { CoValueEntry } from "../node/co-value-entry.js";
import { dependenciesOf } from "../node/dependencies.js";
import type { ContentMessage, ErrorNotice, SyncMessage } from "../protocol/messages.js";
import { validateSyncMessage } from "../protocol/validate.js";
import type { PeerChannel } from "../transport/peer-channel.js";
import { type AdmitContent, admitEverything } from "./admission.js";
import { handleContent } from "./handle-content.js";
import { handleKnown } from "./handle-known.js";
import { handleLoad } from "./handle-load.js";
import { handleReconcile } from "./handle-reconcile.js";
import { defaultLoadLimits, type LoadLimits, LoadTracker } from "./load-tracker.js";
import { LogThrottle } from "./log-throttle.js";
import { defaultParkingLimits, ParkedContent, type ParkedPiece, type ParkingLimits } from "./parked-content.js";
import { PeerState } from "./peer-state.js";
import { type RefreshOutcome, refreshFromStorage } from "./refresh-from-storage.js";
import { channelFromSeedPeer, isPeerChannel, type SeedPeer } from "./seed-peer.js";
import { ContentMemo, sendNewContent } from "./send-content.js";
import { ServerRefusals } from "./server-refusals.js";
import type { SyncEvents } from "./sync-events.js";
import type { SyncNode } from "./sync-node.js";
import { UnsyncedTracker } from "./unsynced-tracker.js";

/** Options of `waitForSync`: without `timeoutMs` it waits as long as it takes (offline-first). */
export interface WaitForSyncOptions {
  readonly timeoutMs?: number;
}

export interface SyncOptions extends Partial<LoadLimits>, Partial<ParkingLimits> {
  readonly events?: SyncEvents;
  /** Decides whether verified content may be taken (a server's quotas and rates); default: all of it. */
  readonly admitContent?: AdmitContent;
  /**
   * Content messages of one peer that may wait for their commit before its next messages wait
   * too (and its channel is paused); default 1,024.
   */
  readonly maxUnacknowledgedPerPeer?: number;
  /**
   * Lets other work run (a server passes `setImmediate`): handling one peer's backlog, or one
   * message of many sessions, yields every few milliseconds so other connections are served
   * meanwhile. Without it (the default; core has no timers of its own) nothing yields.
   */
  readonly yieldToEventLoop?: () => Promise<void>;
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
  readonly #toForward = new Set<CoValueEntry>();
  /** Per peer, the promise of handling what it sent so far (see `settled`). */
  readonly #receiving = new Map<PeerState, Promise<void>>();
  /** Parked content being verified now that what it waited for arrived (see `settled`). */
  readonly #replays = new Set<Promise<void>>();
  /** Content waiting for the accounts that signed it. */
  readonly parked: ParkedContent;
  /** The admission policy: called for verified content before it is applied. */
  readonly admit: AdmitContent;
  #forwardScheduled = false;
  readonly #maxUnacknowledged: number;
  readonly #refusalLog = new LogThrottle(100);
  readonly #yield: (() => Promise<void>) | undefined;
  /** Peers' refusals, heard by the application (`onRefusal`) and by `waitForSync`. */
  readonly refusals: ServerRefusals;

  constructor(node: SyncNode, options: SyncOptions = {}) {
    this.node = node;
    this.events = options.events ?? {};
    this.loads = new LoadTracker(this, { ...defaultLoadLimits, ...options });
    this.unsynced = new UnsyncedTracker(this);
    this.refusals = new ServerRefusals(node.logger, (id, error) => this.unsynced.refused(id, error));
    this.admit = options.admitContent ?? admitEverything;
    this.#maxUnacknowledged = options.maxUnacknowledgedPerPeer ?? 1024;
    this.#yield = options.yieldToEventLoop;
    this.parked = new ParkedContent(parkingLimits(options), {
      replay: (entry, pieces) => {
        const replaying = this.#replayParked(entry, pieces);
        this.#replays.add(replaying);
        void replaying.finally(() => this.#replays.delete(replaying));
      },
      refuse: (peer, error) => this.refuse(peer, error),
      request: (peer, dependency) => this.#requestDependency(peer, dependency),
      setTimeout: (callback, ms) => this.node.clock.setTimeout(callback, ms),
      released: (dependency) => this.forgetUnlessAwaited(dependency),
    });
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
      let busySince = this.node.clock.now();
      while (queue.length > 0 && !state.closed) {
        // A backlog handled in one go would starve every other connection (values in memory
        // make each message's awaits mere microtasks).
        if (this.node.clock.now() - busySince >= YIELD_EVERY_MS) {
          await this.yieldNow();
          busySince = this.node.clock.now();
        }
        // Back-pressure: a peer whose content outruns storage waits here (its socket paused, so
        // the flood queues in its TCP window, not in our memory) until half its backlog committed.
        if (state.unacknowledged >= this.#maxUnacknowledged) {
          state.channel.pause?.();
          await state.whenUnacknowledgedBelow(Math.ceil(this.#maxUnacknowledged / 2));
          state.channel.resume?.();
          continue;
        }
        try {
          // Most messages (acks, loads of values in memory) are handled synchronously: awaiting
          // only what is pending saves a promise and its microtask turns per message.
          const pending = this.#receive(state, queue.shift());
          if (pending !== undefined) await pending;
        } catch (error) {
          this.node.logger.error({ err: error, peer: state.id }, "sync handler failed");
        }
      }
      draining = false;
      this.#receiving.delete(state);
    };
    channel.onMessage((message) => {
      queue.push(message);
      if (draining) return;
      const drained = drain();
      // A drain that needed no await is over already (and removed itself before this line): only
      // one still running is something `settled` must wait for.
      if (draining) this.#receiving.set(state, drained);
    });
    channel.onNotice?.((notice) => this.refusals.received(state.id, state.isServer, notice));
    void channel.closed.then(() => this.#peerClosed(state));
    if (state.isServer) {
      this.#greetServer(state).catch((error: unknown) =>
        this.node.logger.error({ err: error, peer: state.id }, "could not greet a server from storage"),
      );
    }
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
    state.releaseWaiters();
    if (this.peers.get(state.id) === state) this.peers.delete(state.id);
    if (state.channel.persistent) this.#persistentStates.set(state.id, state.confirmed);
    this.loads.peerClosed(state);
    // What it parked can no longer be acknowledged or refused to it (it resends on reconnecting).
    this.parked.dropPeer(state);
  }

  /**
   * Resolves once every message peers sent before this call was handled and what it stored is
   * committed (acks sent): a server waits for this before closing connections on shutdown.
   * Content still waiting for an unknown account is not waited for (it was never acknowledged).
   */
  async settled(): Promise<void> {
    await Promise.all([...this.#receiving.values(), ...this.#replays]);
    await Promise.all([...this.node.allEntries()].map((entry) => entry.storageTail));
  }

  /**
   * Applies and forwards what storage holds of `id` beyond memory, if `id` is in memory (another
   * process sharing the storage appended to it; see refresh-from-storage.ts). Rejects if storage fails.
   */
  refreshFromStorage(id: CoId): Promise<RefreshOutcome> {
    const entry = this.node.peekEntry(id);
    return entry === undefined ? Promise.resolve({ applied: 0 }) : refreshFromStorage(this, entry);
  }

  /** Lets other connections be served (see SyncOptions.yieldToEventLoop). */
  yieldNow(): Promise<void> {
    return this.#yield?.() ?? Promise.resolve();
  }

  /** Peers whose received messages are still being handled. */
  get receiving(): number {
    return this.#receiving.size;
  }

  /**
   * Loads `entry` from storage for handling content of `id`; false, with a StorageFailure notice to
   * the peer and a `storageFailed` event, if storage failed (never an unhandled rejection).
   */
  async loadOrRefuse(entry: CoValueEntry, peer: PeerState, id: CoId): Promise<boolean> {
    try {
      await this.node.loadFromStorage(entry);
      return true;
    } catch (error) {
      this.storageFailed(error, id, peer);
      return false;
    }
  }

  /**
   * Forgets the entry of an id a peer merely named (a signer account, say) once nothing holds it:
   * no log, no load in flight, no content waiting for it. Hostile names must not grow memory.
   */
  forgetUnlessAwaited(id: CoId): void {
    const entry = this.node.peekEntry(id);
    if (entry === undefined || entry.log !== undefined || entry.state === "loading" || this.parked.waitsFor(id)) return;
    this.node.forgetIfUnused(entry);
  }

  /** A storage call failed on the sync path: logged with the value id, reported, the peer told. */
  storageFailed(error: unknown, id: CoId, peer?: PeerState): void {
    this.node.logger.error({ err: error, id, ...(peer === undefined ? {} : { peer: peer.id }) }, "storage failed while syncing");
    this.events.storageFailed?.(error);
    if (peer !== undefined) {
      const reason = error instanceof Error ? error.message : String(error);
      this.refuse(peer, {
        code: "StorageFailure",
        id,
        message: `storage failed while handling ${id}: ${reason}; nothing of it was applied`,
      });
    }
  }

  #receive(peer: PeerState, raw: unknown): Promise<void> | undefined {
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
        handleKnown(this, peer, message);
        return;
      case "content":
        return handleContent(this, peer, peer.isServer ? message : withoutStreamingTarget(message));
      case "done":
        return;
      case "reconcile":
        return handleReconcile(this, peer, message);
      case "reconcile-ack":
        return;
    }
  }

  /** Sends an explicit error notice (to peers that accept them) and counts the refusal. */
  refuse(peer: PeerState, error: ErrorNotice["error"]): void {
    this.events.rejected?.(peer.id, error.code);
    // Ten lines a second per peer, and a hundred overall however many peers refuse at once.
    const now = this.node.clock.now();
    const suppressed = peer.refusalLog.admit(now);
    if (suppressed !== undefined && this.#refusalLog.admit(now) !== undefined) {
      this.node.logger.warn(
        { peer: peer.id, ...error, ...(suppressed > 0 ? { suppressedBefore: suppressed } : {}) },
        "refused input from peer",
      );
    }
    if (peer.channel.acceptsErrorNotices) peer.send({ error });
  }

  /**
   * New content in `entry`: push what each server peer and subscribed client lacks (the peer that
   * sent it holds it already, so it is sent nothing).
   */
  forward(entry: CoValueEntry): void {
    const memo = new ContentMemo();
    for (const peer of this.peers.values()) {
      if (peer.closed) continue;
      if (peer.isServer || peer.isSubscribed(entry.id)) sendNewContent(this.node, peer, entry, undefined, memo);
    }
  }

  /** A local write: batched per microtask, preserving order across CoValues. */
  localChange(entry: CoValueEntry): void {
    this.unsynced.markChanged(entry);
    this.forwardSoon(entry);
  }

  /**
   * Pushes `entry`'s new content to its subscribers at the end of this microtask run: everything
   * applied in that run (a frame of many messages, a burst of local writes) goes out in one round
   * per value, in the order values changed.
   */
  forwardSoon(entry: CoValueEntry): void {
    this.#toForward.add(entry);
    if (this.#forwardScheduled) return;
    this.#forwardScheduled = true;
    queueMicrotask(() => {
      this.#forwardScheduled = false;
      const entries = [...this.#toForward];
      this.#toForward.clear();
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

  /** An entry got its header: wake loads waiting for it and content parked behind it. */
  entryBecameAvailable(entry: CoValueEntry): void {
    this.loads.available(entry.id);
    this.parked.arrived(entry.id);
  }

  /** Parked pieces whose dependency arrived: verified now, one after another, as their sender's. */
  async #replayParked(entry: CoValueEntry, pieces: readonly ParkedPiece[]): Promise<void> {
    for (const { peer, sessionId, piece, priority } of pieces) {
      if (peer.closed) continue;
      try {
        await handleContent(this, peer, { action: "content", id: entry.id, priority, new: { [sessionId]: piece } });
      } catch (error) {
        this.node.logger.error({ err: error, id: entry.id, peer: peer.id }, "replaying parked content failed");
      }
    }
  }

  /** Asks the sender of parked content (it must have it, as cojson's rules say) and our servers for `dependency`. */
  #requestDependency(peer: PeerState, dependency: CoId): void {
    const entry = this.node.entry(dependency);
    peer.send({ action: "load", ...entry.knownState() });
    this.makeAvailable(entry, peer).catch((error: unknown) => this.storageFailed(error, dependency));
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

  /** Calls `listener` with every refusal a peer sends (a quota, a ban, an invalid write). */
  onRefusal(listener: (refusal: SyncRefusal) => void): () => void {
    return this.refusals.listen(listener);
  }

  /**
   * Resolves when server peers acknowledged everything of `id` we hold; rejects with a
   * SyncRefusedError if a server refused it, or a SyncTimeoutError after `timeoutMs`.
   */
  waitForSync(id: CoId, options: WaitForSyncOptions = {}): Promise<void> {
    this.node.sealLocalWrites();
    return this.#withTimeout(this.unsynced.waitForSync(id), options, id);
  }

  /** Resolves when server peers acknowledged everything we hold (rejects as `waitForSync`). */
  async waitForAllSynced(options: WaitForSyncOptions = {}): Promise<void> {
    this.node.sealLocalWrites();
    const ids = this.unsynced.ids();
    await this.#withTimeout(Promise.all(ids.map((id) => this.unsynced.waitForSync(id))), options, `${ids.length} values`);
  }

  #withTimeout<T>(waiting: Promise<T>, { timeoutMs }: WaitForSyncOptions, what: string): Promise<T> {
    if (timeoutMs === undefined) return waiting;
    return new Promise<T>((resolve, reject) => {
      const cancel = this.node.clock.setTimeout(() => {
        const servers = this.serverPeerCount();
        reject(
          new SyncTimeoutError(
            `${what} not acknowledged by a server within ${timeoutMs} ms (${servers === 0 ? "no server is connected" : `${servers} connected`})`,
          ),
        );
      }, timeoutMs);
      waiting.then(
        (value) => {
          cancel();
          resolve(value);
        },
        (error: unknown) => {
          cancel();
          reject(error);
        },
      );
    });
  }
}

// cojson strips expectContentUntil from clients: client→client streaming is unsupported.
function withoutStreamingTarget(message: ContentMessage): ContentMessage {
  if (message.expectContentUntil === undefined) return message;
  const { expectContentUntil: _ignored, ...rest } = message;
  return rest;
}

// How long one peer's backlog (or one large message) is handled before other work may run.
const YIELD_EVERY_MS = 4;

function parkingLimits(options: Partial<ParkingLimits>): ParkingLimits {
  return {
    parkTimeoutMs: options.parkTimeoutMs ?? defaultParkingLimits.parkTimeoutMs,
    maxParkedPerPeer: options.maxParkedPerPeer ?? defaultParkingLimits.maxParkedPerPeer,
    maxParkedBytesPerPeer: options.maxParkedBytesPerPeer ?? defaultParkingLimits.maxParkedBytesPerPeer,
    maxParkedBytes: options.maxParkedBytes ?? defaultParkingLimits.maxParkedBytes,
  };
}
