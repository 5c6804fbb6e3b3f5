import type { CoId } from "../ids/co-id.js";
import type { OutgoingMessage, PeerChannel } from "../transport/peer-channel.js";
import { combineKnownStates, type HeldSessions, type KnownState, onlyHeldSessions } from "./known-state.js";
import { LogThrottle } from "./log-throttle.js";

const MAX_MISSING_SUBSCRIPTIONS = 512;

/**
 * What we know about one peer: per CoValue, the state it confirmed and the state we optimistically
 * assume after what we sent. A peer is subscribed to a CoValue iff it has an entry here (cojson 0.20).
 */
export class PeerState {
  readonly channel: PeerChannel;
  readonly confirmed = new Map<CoId, KnownState>();
  readonly optimistic = new Map<CoId, KnownState>();
  /** CoValues this peer asked for with `load` and has not yet been sent everything of. */
  readonly awaitingDone = new Set<CoId>();
  /** Content messages of this peer applied in memory whose commit (and ack) is still pending. */
  unacknowledged = 0;
  readonly #missing = new Set<CoId>();
  #roomWaiters: Array<{ readonly below: number; readonly resolve: () => void }> = [];
  closed = false;
  /** Refusals of this peer's input are logged at most ten a second. */
  readonly refusalLog = new LogThrottle();

  constructor(channel: PeerChannel) {
    this.channel = channel;
  }

  get id(): string {
    return this.channel.peerId;
  }

  get isServer(): boolean {
    return this.channel.role === "server";
  }

  isSubscribed(id: CoId): boolean {
    return this.confirmed.has(id) || this.optimistic.has(id);
  }

  /** `load` and corrections replace what we believed. */
  setKnown(state: KnownState): void {
    this.confirmed.set(state.id, state);
    this.optimistic.set(state.id, state);
  }

  /**
   * Forgets what the peer claimed of sessions `held` lacks (see `onlyHeldSessions`): called once
   * the value is loaded, so a claim of thousands of made-up sessions costs nothing afterwards.
   */
  keepOnlyHeld(id: CoId, held: HeldSessions): void {
    const confirmed = this.confirmed.get(id);
    if (confirmed !== undefined) this.confirmed.set(id, onlyHeldSessions(confirmed, held));
    const optimistic = this.optimistic.get(id);
    if (optimistic !== undefined) this.optimistic.set(id, onlyHeldSessions(optimistic, held));
  }

  /** `known` merges: counts only grow. */
  mergeKnown(state: KnownState): void {
    const confirmed = this.confirmed.get(state.id);
    this.confirmed.set(state.id, confirmed === undefined ? state : combineKnownStates(confirmed, state));
    const optimistic = this.optimistic.get(state.id);
    this.optimistic.set(state.id, optimistic === undefined ? state : combineKnownStates(optimistic, state));
  }

  /** After sending content, assume the peer will hold it. */
  mergeOptimistic(state: KnownState): void {
    const optimistic = this.optimistic.get(state.id);
    this.optimistic.set(state.id, optimistic === undefined ? state : combineKnownStates(optimistic, state));
  }

  /**
   * The peer subscribed to a value nobody here has: it is told when it arrives, but only for its
   * latest `limit` such subscriptions (the oldest are forgotten), so naming made-up ids can't
   * grow its state without bound.
   */
  subscribedToMissing(id: CoId, limit = MAX_MISSING_SUBSCRIPTIONS): void {
    this.#missing.delete(id);
    this.#missing.add(id);
    if (this.#missing.size <= limit) return;
    const oldest = this.#missing.values().next().value as CoId;
    this.#missing.delete(oldest);
    this.confirmed.delete(oldest);
    this.optimistic.delete(oldest);
  }

  /** A reconnect of a persistent peer keeps confirmed states and forgets optimistic ones. */
  resetOptimistic(): void {
    this.optimistic.clear();
    for (const [id, state] of this.confirmed) this.optimistic.set(id, state);
  }

  /** Resolves once fewer than `below` of its content messages await their commit. */
  whenUnacknowledgedBelow(below: number): Promise<void> {
    if (this.unacknowledged < below || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push({ below, resolve }));
  }

  /** One of its content messages was committed (or failed to be). */
  settledOne(): void {
    this.unacknowledged--;
    if (this.#roomWaiters.length === 0) return;
    const ready = this.#roomWaiters.filter((waiter) => this.unacknowledged < waiter.below);
    this.#roomWaiters = this.#roomWaiters.filter((waiter) => this.unacknowledged >= waiter.below);
    for (const waiter of ready) waiter.resolve();
  }

  /** Closing releases whoever waits for room (nothing more is read from it). */
  releaseWaiters(): void {
    for (const waiter of this.#roomWaiters.splice(0)) waiter.resolve();
  }

  send(message: OutgoingMessage): void {
    if (!this.closed) this.channel.send(message);
  }
}
