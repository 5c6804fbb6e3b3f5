import type { CoId, CoValueEntry, KnownSessions, LocalNode, Logger } from "@cosync/core";
import { type ClusterBus, type CommitNotice, decodeBusMessage, encodeBusMessages } from "./cluster-bus.js";
import type { ClusterMetrics } from "./cluster-metrics.js";

export interface ClusterLinkOptions {
  readonly node: LocalNode;
  readonly bus: ClusterBus;
  readonly processId: string;
  readonly logger: Logger;
  readonly metrics: ClusterMetrics;
  /** Period of the sweep that re-reads every held value from storage (ms; 0: none). */
  readonly catchUpIntervalMs: number;
  /** Period of heartbeats, from which `cosync_cluster_processes` is counted (ms). */
  readonly heartbeatMs: number;
  /** Values re-read at once during a sweep. */
  readonly catchUpConcurrency?: number;
}

/**
 * Joins one server process to the others sharing its database:
 * - after each commit here, publishes a notice (value id, stored counts) — batched per event-loop turn;
 * - on a notice from another process for a value held in memory here, re-reads what storage holds
 *   beyond memory and forwards it to this process's subscribers (`refreshFromStorage`); values not
 *   held are ignored (they are read fresh from storage when a client asks);
 * - after the bus reconnects, and every `catchUpIntervalMs`, re-reads every held value, so notices
 *   lost while the bus was down (or dropped) never leave a value stale for long.
 */
export class ClusterLink {
  readonly #options: ClusterLinkOptions;
  readonly #outgoing = new Map<CoId, Record<string, number>>();
  #flushScheduled = false;
  /** Per value: the refresh running and whether another notice arrived meanwhile. */
  readonly #refreshing = new Map<CoId, { again: boolean; readonly done: Promise<void> }>();
  readonly #lastHeard = new Map<string, number>();
  #sweeping: Promise<void> | undefined;
  readonly #timers: Array<ReturnType<typeof setInterval>> = [];
  #closed = false;

  constructor(options: ClusterLinkOptions) {
    this.#options = options;
    const { bus, metrics } = options;
    metrics.busConnected.set(bus.connected ? 1 : 0);
    bus.onMessage((payload) => this.#received(payload));
    bus.onStatus((connected) => {
      metrics.busConnected.set(connected ? 1 : 0);
      if (connected) {
        options.logger.info({ bus: bus.kind }, "cluster bus reconnected: catching up from storage");
        void this.catchUp("bus_reconnect");
      } else options.logger.warn({ bus: bus.kind }, "cluster bus disconnected: serving from storage and catching up when it returns");
    });
    this.#timers.push(setInterval(() => this.#heartbeat(), options.heartbeatMs));
    if (options.catchUpIntervalMs > 0) this.#timers.push(setInterval(() => void this.catchUp("periodic"), options.catchUpIntervalMs));
    for (const timer of this.#timers) timer.unref();
    this.#heartbeat();
  }

  /** Whether notices flow (for /ready). */
  get problem(): string | undefined {
    return this.#options.bus.connected ? undefined : `cluster bus (${this.#options.bus.kind}) is disconnected`;
  }

  /** The node's `committed` event: queue a notice, sent at the end of this event-loop turn. */
  committed(id: CoId, sessions: KnownSessions): void {
    if (this.#closed) return;
    const queued = this.#outgoing.get(id) ?? {};
    for (const [sessionId, count] of Object.entries(sessions)) queued[sessionId] = Math.max(queued[sessionId] ?? 0, count);
    this.#outgoing.set(id, queued);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    const notices: CommitNotice[] = [...this.#outgoing].map(([id, sessions]) => ({ id, sessions: sessions as KnownSessions }));
    this.#outgoing.clear();
    if (notices.length === 0) return;
    this.#publish(notices);
    this.#options.metrics.notices.inc({ direction: "out" }, notices.length);
  }

  #publish(notices: readonly CommitNotice[]): void {
    const { bus, metrics, processId } = this.#options;
    for (const payload of encodeBusMessages(processId, Date.now(), notices)) {
      if (bus.publish(payload)) metrics.busMessages.inc({ direction: "out" });
      else metrics.busDropped.inc();
    }
  }

  #heartbeat(): void {
    const now = Date.now();
    this.#lastHeard.set(this.#options.processId, now);
    for (const [process, at] of this.#lastHeard) if (now - at > 3 * this.#options.heartbeatMs) this.#lastHeard.delete(process);
    this.#options.metrics.processes.set(this.#lastHeard.size);
    this.#publish([]);
  }

  #received(payload: string): void {
    if (this.#closed) return;
    const message = decodeBusMessage(payload);
    if (message === undefined || message.origin === this.#options.processId) return;
    const { metrics } = this.#options;
    metrics.busMessages.inc({ direction: "in" });
    // The bus is open to whoever can reach it: a flood of made-up origins must not grow this map.
    if (this.#lastHeard.has(message.origin) || this.#lastHeard.size < MAX_PROCESSES_TRACKED) this.#lastHeard.set(message.origin, Date.now());
    if (message.notices.length === 0) return;
    metrics.notices.inc({ direction: "in" }, message.notices.length);
    metrics.busLag.observe(Math.max(0, Date.now() - message.sentAt) / 1000);
    for (const notice of message.notices) this.#noticed(notice);
  }

  #noticed(notice: CommitNotice): void {
    const entry = this.#options.node.peekEntry(notice.id);
    if (entry === undefined) return; // not held here: read fresh from storage when asked for
    if (entry.log !== undefined && entry.loading === undefined && covers(entry.log.knownState().sessions, notice.sessions)) {
      this.#options.metrics.refreshes.inc({ outcome: "current" });
      return;
    }
    void this.refresh(entry, "notice");
  }

  /**
   * Re-reads `entry` from storage and forwards what is new. Concurrent calls for one value
   * coalesce: one more read follows the running one, however many notices arrived meanwhile.
   */
  refresh(entry: CoValueEntry, via: "notice" | "catch_up"): Promise<void> {
    const running = this.#refreshing.get(entry.id);
    if (running !== undefined) {
      running.again = true;
      return running.done;
    }
    const state = { again: false, done: Promise.resolve() };
    const run = async () => {
      do {
        state.again = false;
        await this.#refreshOnce(entry, via);
      } while (state.again && !this.#closed);
      this.#refreshing.delete(entry.id);
    };
    state.done = run();
    this.#refreshing.set(entry.id, state);
    return state.done;
  }

  async #refreshOnce(entry: CoValueEntry, via: "notice" | "catch_up"): Promise<void> {
    const { node, metrics, logger } = this.#options;
    try {
      // A client may wait for a value no process had: created elsewhere, it is loaded now.
      if (entry.log === undefined && entry.loading === undefined && hasSubscriber(node, entry.id)) {
        await node.loadFromStorage(entry);
        if (entry.log !== undefined) {
          node.syncManager.forwardSoon(entry);
          metrics.refreshes.inc({ outcome: "applied" });
        }
        return;
      }
      const { applied } = await node.syncManager.refreshFromStorage(entry.id);
      metrics.refreshes.inc({ outcome: applied > 0 ? "applied" : "current" });
      if (applied > 0) metrics.delivered.inc({ via }, applied);
    } catch (error) {
      metrics.refreshes.inc({ outcome: "failed" });
      logger.warn({ err: error, id: entry.id }, "cluster: could not re-read a value from storage (the next notice or sweep retries)");
    }
  }

  /** Re-reads every value held in memory, a few at a time; one sweep at a time. */
  catchUp(reason: "bus_reconnect" | "periodic"): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#sweeping !== undefined) return this.#sweeping;
    this.#options.metrics.catchUps.inc({ reason });
    const entries = [...this.#options.node.allEntries()].filter((entry) => entry.log !== undefined || entry.loading !== undefined);
    const concurrency = this.#options.catchUpConcurrency ?? 8;
    const sweep = async () => {
      let next = 0;
      const worker = async () => {
        while (next < entries.length && !this.#closed) await this.refresh(entries[next++] as CoValueEntry, "catch_up");
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, entries.length) }, worker));
    };
    this.#sweeping = sweep().finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  /** Sends what is queued, stops timers, waits for running refreshes; the bus is closed by its owner. */
  async close(): Promise<void> {
    if (this.#outgoing.size > 0) this.#flush();
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    await Promise.allSettled([...[...this.#refreshing.values()].map((state) => state.done), this.#sweeping]);
  }
}

/** True if `held` has at least the counts of `noticed` in every session. */
function covers(held: KnownSessions, noticed: KnownSessions): boolean {
  for (const [sessionId, count] of Object.entries(noticed)) {
    if ((held[sessionId as keyof KnownSessions] ?? 0) < count) return false;
  }
  return true;
}

function hasSubscriber(node: LocalNode, id: CoId): boolean {
  for (const peer of node.syncManager.peers.values()) if (!peer.closed && peer.isSubscribed(id)) return true;
  return false;
}

/** Processes counted at most (a cluster is a handful; the bus is only as private as its network). */
const MAX_PROCESSES_TRACKED = 256;
