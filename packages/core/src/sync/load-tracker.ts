import type { CoId } from "../ids/co-id.js";
import type { CoValueEntry } from "../node/co-value-entry.js";
import type { KnownMessage } from "../protocol/messages.js";
import type { Cancel } from "../time/clock.js";
import type { PeerState } from "./peer-state.js";
import type { SyncManager } from "./sync-manager.js";

/** How loading from server peers retries (cojson: 1 retry after 3 s, 60 s timeout). */
export interface LoadLimits {
  readonly loadRetryDelayMs: number;
  readonly loadRetries: number;
  readonly loadTimeoutMs: number;
  /**
   * How long an app's load waits for a first server when none is connected (an app loading
   * while its connection still opens), before it ends unavailable. 0: don't wait (cojson).
   */
  readonly waitForServerMs: number;
}

const NODE_CLOSED = "the node was closed while loading it";

export const defaultLoadLimits: LoadLimits = { loadRetryDelayMs: 3_000, loadRetries: 1, loadTimeoutMs: 60_000, waitForServerMs: 5_000 };

interface PendingLoad {
  readonly waiters: Array<() => void>;
  /** Connections that answered "not there" or closed; by connection, since a new one may reuse an id. */
  readonly notFoundFrom: Set<PeerState>;
  attempts: number;
  cancelTimer: Cancel | undefined;
}

/**
 * Loads CoValues from server peers: asks every server peer, and settles when the value became
 * available, when every server peer said it has nothing (then retries once after a delay), or on
 * timeout. Settling never rejects; the entry's state says what happened.
 */
export class LoadTracker {
  readonly #sync: SyncManager;
  readonly #limits: LoadLimits;
  readonly #pending = new Map<CoId, PendingLoad>();

  #nodeClosed = false;

  constructor(sync: SyncManager, limits: LoadLimits) {
    this.#sync = sync;
    this.#limits = limits;
  }

  /**
   * Asks server peers for `entry`; resolves once it is available or known to be unavailable
   * (`entry.unavailableReason` says why). An app's own load (`except` undefined) with no server
   * connected waits up to `waitForServerMs` for one.
   */
  request(entry: CoValueEntry, except?: PeerState): Promise<void> {
    if (this.#nodeClosed) {
      entry.unavailableReason = NODE_CLOSED;
      return Promise.resolve();
    }
    const servers = this.#servers(except);
    const waitForServer = except === undefined && servers.length === 0 && this.#limits.waitForServerMs > 0;
    if (servers.length === 0 && !waitForServer) {
      entry.unavailableReason = "no server is connected and storage does not hold it";
      return Promise.resolve();
    }
    let pending = this.#pending.get(entry.id);
    if (pending === undefined) {
      pending = { waiters: [], notFoundFrom: new Set(), attempts: 0, cancelTimer: undefined };
      this.#pending.set(entry.id, pending);
      entry.state = "loading";
      if (waitForServer) {
        const ms = this.#limits.waitForServerMs;
        // Kept alive: an app awaiting this load (a script run before it connects) must hear it
        // fail, not see Node exit silently with the promise unsettled.
        pending.cancelTimer = this.#sync.node.clock.setTimeout(() => this.#settle(entry.id, "unavailable", `no server connected within ${ms} ms`), ms, {
          keepAlive: true,
        });
      } else {
        this.#ask(entry, pending, except);
      }
    }
    const waiting = pending;
    return new Promise((resolve) => waiting.waiters.push(resolve));
  }

  #servers(except?: PeerState): PeerState[] {
    return [...this.#sync.peers.values()].filter((peer) => peer.isServer && !peer.closed && peer !== except);
  }

  #ask(entry: CoValueEntry, pending: PendingLoad, except?: PeerState): void {
    pending.attempts++;
    pending.notFoundFrom.clear();
    for (const server of this.#servers(except)) {
      server.send({ action: "load", ...entry.knownState() });
    }
    pending.cancelTimer?.();
    const ms = this.#limits.loadTimeoutMs;
    pending.cancelTimer = this.#sync.node.clock.setTimeout(() => this.#settle(entry.id, "unavailable", `no server answered within ${ms} ms`), ms);
  }

  /** A `known` from a peer may answer a load: header false means "not there". */
  answered(peer: PeerState, message: KnownMessage): void {
    const pending = this.#pending.get(message.id);
    if (pending === undefined || message.header) return;
    pending.notFoundFrom.add(peer);
    this.#checkAllNotFound(message.id, pending);
  }

  /** A server peer connected: ask it for what is still being loaded, so it can answer too. */
  peerAdded(peer: PeerState): void {
    if (!peer.isServer) return;
    for (const [id, pending] of this.#pending) {
      const entry = this.#sync.node.peekEntry(id);
      if (entry === undefined) continue;
      // A load that was waiting for a first server starts now, with its full timeout.
      if (pending.attempts === 0) this.#ask(entry, pending);
      else peer.send({ action: "load", ...entry.knownState() });
    }
  }

  /** A server peer went away: it will not answer. */
  peerClosed(peer: PeerState): void {
    for (const [id, pending] of this.#pending) {
      pending.notFoundFrom.add(peer);
      this.#checkAllNotFound(id, pending);
    }
  }

  #checkAllNotFound(id: CoId, pending: PendingLoad): void {
    const open = this.#servers().filter((server) => !pending.notFoundFrom.has(server));
    if (open.length > 0) return;
    const entry = this.#sync.node.peekEntry(id);
    if (entry !== undefined && pending.attempts <= this.#limits.loadRetries && this.#servers().length > 0) {
      pending.cancelTimer?.();
      pending.cancelTimer = this.#sync.node.clock.setTimeout(() => this.#ask(entry, pending), this.#limits.loadRetryDelayMs);
      return;
    }
    this.#settle(id, "unavailable", "no connected server has it");
  }

  /** The node closed: every load still waiting is answered (unavailable), its timer cancelled. */
  nodeClosed(): void {
    this.#nodeClosed = true;
    for (const id of [...this.#pending.keys()]) this.#settle(id, "unavailable", NODE_CLOSED);
  }

  /** The value arrived: wake everyone waiting for it. */
  available(id: CoId): void {
    this.#settle(id, "available");
  }

  #settle(id: CoId, state: "available" | "unavailable", reason?: string): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    pending.cancelTimer?.();
    const entry = this.#sync.node.peekEntry(id);
    if (entry !== undefined && entry.log === undefined && state === "unavailable") {
      entry.state = "unavailable";
      entry.unavailableReason = reason;
    }
    for (const wake of pending.waiters) wake();
  }
}
