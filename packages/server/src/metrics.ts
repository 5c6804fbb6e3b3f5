import type { Socket } from "node:net";
import type { ErrorCode, LocalNode, SyncEvents } from "@cosync/core";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { StorageHealth } from "./storage-health.js";
import type { GuardObserver } from "./guard-context.js";
import type { QuotaLedger } from "./account-limits.js";

/** Why an upgrade or connection was refused (label values of cosync_connections_refused_total). */
export type RefusalReason = "unauthorized" | "banned" | "capacity" | "draining" | "auth_error" | "auth_timeout" | "path";

/** What a live connection exposes to the metrics. */
export interface TrackedConnection {
  readonly socket: Socket;
  /** Bytes the WebSocket has queued and not yet written. */
  bufferedAmount(): number;
  /** Messages waiting in the channel's outgoing queue, by priority, if the channel tells. */
  queued(): Readonly<Record<number, number>> | undefined;
  /** Outgoing messages the channel dropped (sent after close, or queued when it closed). */
  dropped(): number;
}

/**
 * The Prometheus metrics of one server, in a registry of its own (never prom-client's global one,
 * so several servers in a process, as in tests, do not collide):
 *
 * - `cosync_connections` (gauge), `cosync_connections_total{auth}`, `cosync_connections_refused_total{reason}`
 * - `cosync_quota_accounts`, `cosync_quota_accounts_full` (at ≥ 90 % of the storage quota)
 * - `cosync_messages_total{action,direction}`, `cosync_message_bytes_total{action,direction}` (approximate JSON size)
 * - `cosync_wire_bytes_total{direction}` (TCP bytes, WebSocket framing included)
 * - `cosync_outgoing_queue_depth{priority}` (when the channel exposes it), `cosync_send_buffer_bytes`,
 *   `cosync_outgoing_dropped_total` (messages a closing connection could not deliver)
 * - `cosync_refusals_total{code}`: verification failures and limit refusals, by error code
 * - `cosync_frame_errors_total{type}`: frames or lines the transport refused
 * - `cosync_storage_latency_seconds`, `cosync_ack_latency_seconds` (content received → durable ack sent)
 * - `cosync_values_in_memory`, `cosync_gc_unloads_total`
 * - Node process metrics (`cosync_process_*`, `cosync_nodejs_*`) unless turned off
 */
export class ServerMetrics {
  readonly registry = new Registry();
  #quota: QuotaLedger | undefined;
  readonly #connections = new Set<TrackedConnection>();
  #closedBytesIn = 0;
  #closedBytesOut = 0;
  #closedDropped = 0;
  #node: LocalNode | undefined;
  readonly #storageHealth: StorageHealth | undefined;

  readonly #open: Gauge;
  readonly #accepted: Counter;
  readonly #refusedConnections: Counter<"reason">;
  /** Messages and bytes by direction and action (a handful of keys: actions are a closed set). */
  readonly #messageTallies = new Map<string, { readonly direction: string; readonly action: string; messages: number; bytes: number }>();
  readonly #refusals: Counter<"code">;
  readonly #frameErrors: Counter<"type">;
  readonly #storageLatency: Histogram;
  readonly #ackLatency: Histogram;
  readonly #unloads: Counter;

  constructor(options: { readonly processMetrics?: boolean; readonly storageHealth?: StorageHealth } = {}) {
    this.#storageHealth = options.storageHealth;
    const registers = [this.registry];
    const metrics = this;
    this.#open = new Gauge({ name: "cosync_connections", help: "Open WebSocket connections", registers });
    this.#accepted = new Counter({
      name: "cosync_connections_total",
      help: "WebSocket connections accepted, by how they identified themselves (token, hook, anonymous, none)",
      labelNames: ["auth"],
      registers,
    });
    new Gauge({
      name: "cosync_quota_accounts",
      help: "Accounts with stored bytes charged against the storage quota",
      registers,
      collect() {
        this.set(metrics.#quota === undefined ? 0 : [...metrics.#quota.entries()].length);
      },
    });
    new Gauge({
      name: "cosync_quota_accounts_full",
      help: "Accounts at 90 % or more of their storage quota",
      registers,
      collect() {
        const quota = metrics.#quota;
        let full = 0;
        for (const [, bytes] of quota?.entries() ?? []) if (quota !== undefined && bytes >= quota.quotaBytes * 0.9) full++;
        this.set(full);
      },
    });
    this.#refusedConnections = new Counter({
      name: "cosync_connections_refused_total",
      help: "Upgrades refused, by reason",
      labelNames: ["reason"],
      registers,
    });
    // Counted per message in plain numbers and handed to prom-client only when scraped: a labelled
    // `inc` hashes its labels each call (~2 µs), twice per message on the relay's hot path.
    new Counter({
      name: "cosync_messages_total",
      help: "Sync messages and error notices, by action and direction",
      labelNames: ["action", "direction"],
      registers,
      collect() {
        this.reset();
        for (const tally of metrics.#messageTallies.values()) this.inc({ action: tally.action, direction: tally.direction }, tally.messages);
      },
    });
    new Counter({
      name: "cosync_message_bytes_total",
      help: "Approximate JSON bytes of messages, by action and direction",
      labelNames: ["action", "direction"],
      registers,
      collect() {
        this.reset();
        for (const tally of metrics.#messageTallies.values()) this.inc({ action: tally.action, direction: tally.direction }, tally.bytes);
      },
    });
    new Counter({
      name: "cosync_wire_bytes_total",
      help: "Bytes read and written on WebSocket connections (TCP level)",
      labelNames: ["direction"],
      registers,
      collect() {
        let bytesIn = metrics.#closedBytesIn;
        let bytesOut = metrics.#closedBytesOut;
        for (const connection of metrics.#connections) {
          bytesIn += connection.socket.bytesRead;
          bytesOut += connection.socket.bytesWritten;
        }
        this.reset();
        this.inc({ direction: "in" }, bytesIn);
        this.inc({ direction: "out" }, bytesOut);
      },
    });
    new Gauge({
      name: "cosync_outgoing_queue_depth",
      help: "Messages waiting in connections' outgoing queues, by priority",
      labelNames: ["priority"],
      registers,
      collect() {
        const totals: Record<string, number> = {};
        for (const connection of metrics.#connections) {
          for (const [priority, count] of Object.entries(connection.queued() ?? {})) totals[priority] = (totals[priority] ?? 0) + count;
        }
        this.reset();
        for (const [priority, count] of Object.entries(totals)) this.set({ priority }, count);
      },
    });
    new Gauge({
      name: "cosync_send_buffer_bytes",
      help: "Bytes queued in WebSocket send buffers, over all connections",
      registers,
      collect() {
        let total = 0;
        for (const connection of metrics.#connections) total += connection.bufferedAmount();
        this.set(total);
      },
    });
    new Counter({
      name: "cosync_outgoing_dropped_total",
      help: "Outgoing messages dropped because their connection closed",
      registers,
      collect() {
        let dropped = metrics.#closedDropped;
        for (const connection of metrics.#connections) dropped += connection.dropped();
        this.reset();
        this.inc(dropped);
      },
    });
    this.#refusals = new Counter({
      name: "cosync_refusals_total",
      help: "Refused input (verification failures, limits, bans, quota), by error code",
      labelNames: ["code"],
      registers,
    });
    this.#frameErrors = new Counter({
      name: "cosync_frame_errors_total",
      help: "Frames or frame lines the transport refused, by type",
      labelNames: ["type"],
      registers,
    });
    this.#storageLatency = new Histogram({
      name: "cosync_storage_latency_seconds",
      help: "Time of a storage append, queueing included",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.#ackLatency = new Histogram({
      name: "cosync_ack_latency_seconds",
      help: "Time from receiving content to sending its durable acknowledgement",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    new Gauge({
      name: "cosync_parked_bytes",
      help: "Approximate bytes of content waiting, unverified, for the accounts that signed it",
      registers,
      collect() {
        this.set(metrics.#node?.syncManager.parked.bytes ?? 0);
      },
    });
    new Gauge({
      name: "cosync_parked_pieces",
      help: "Session pieces waiting, unverified, for the accounts that signed them",
      registers,
      collect() {
        this.set(metrics.#node?.syncManager.parked.count ?? 0);
      },
    });
    new Gauge({
      name: "cosync_storage_failing",
      help: "1 while storage failed on the sync path and no append has committed since (then /ready answers 503)",
      registers,
      collect() {
        this.set(metrics.#storageHealth?.problem === undefined ? 0 : 1);
      },
    });
    new Gauge({
      name: "cosync_values_in_memory",
      help: "CoValues whose logs are held in memory",
      registers,
      collect() {
        let count = 0;
        for (const entry of metrics.#node?.allEntries() ?? []) if (entry.log !== undefined) count++;
        this.set(count);
      },
    });
    this.#unloads = new Counter({ name: "cosync_gc_unloads_total", help: "CoValues unloaded by the garbage collector", registers });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: "cosync_" });
  }

  /** The storage quota ledger the quota gauges read, if quotas are on. */
  attachQuota(quota: QuotaLedger | undefined): void {
    this.#quota = quota;
  }

  /** The node whose values the gauges count (set once it exists). */
  attachNode(node: LocalNode): void {
    this.#node = node;
  }

  /** Hooks for `createLocalNode({ sync: { events } })`. Incoming and outgoing messages are counted by the guards. */
  readonly syncEvents: SyncEvents = {
    rejected: (_peerId, code) => this.#refusals.inc({ code }),
    ackLatency: (ms) => this.#ackLatency.observe(ms / 1000),
    storageLatency: (ms) => this.#storageLatency.observe(ms / 1000),
    unloaded: (count) => this.#unloads.inc(count),
  };

  /** Hooks for each connection's guard. */
  readonly guardObserver: GuardObserver = {
    message: (direction, action, bytes) => {
      const key = `${direction} ${action}`;
      let tally = this.#messageTallies.get(key);
      if (tally === undefined) {
        tally = { direction, action, messages: 0, bytes: 0 };
        this.#messageTallies.set(key, tally);
      }
      tally.messages += 1;
      tally.bytes += bytes;
    },
    refused: (code: ErrorCode) => this.#refusals.inc({ code }),
  };

  connectionOpened(connection: TrackedConnection, auth: "token" | "hook" | "anonymous" | "none"): void {
    this.#connections.add(connection);
    this.#accepted.inc({ auth });
    this.#open.inc();
  }

  connectionClosed(connection: TrackedConnection): void {
    if (!this.#connections.delete(connection)) return;
    this.#closedBytesIn += connection.socket.bytesRead;
    this.#closedBytesOut += connection.socket.bytesWritten;
    this.#closedDropped += connection.dropped();
    this.#open.dec();
  }

  connectionRefused(reason: RefusalReason): void {
    this.#refusedConnections.inc({ reason });
  }

  frameError(type: string): void {
    this.#frameErrors.inc({ type });
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ readonly contentType: string; readonly body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
