import type { IncomingMessage } from "node:http";
import type { Clock, CryptoProvider, GcOptions, Logger, StorageAdapter } from "@cosync/core";
import type { LogOptions } from "./server-logger.js";
import type { RateLimits } from "./owner-limits.js";
import { assertRateLimit } from "./token-bucket.js";

/** What `authenticate` decided about a connection attempt. */
export type AuthVerdict = { readonly ok: true; readonly accountId?: string } | { readonly ok: false; readonly reason: string };

/**
 * Decides whether an upgrade request may connect. cojson clients can carry a token only in the
 * URL (spec §9: Jazz Cloud uses `?key=…`), so read it from `request.url`. Refusals get HTTP 401.
 * A thrown error or rejected promise refuses with 500 and is logged.
 */
export type AuthenticateHook = (request: IncomingMessage) => AuthVerdict | Promise<AuthVerdict>;

/** Limits of a server. Absent rates are unlimited. */
export interface ServerLimits {
  /** Open connections at most; upgrades beyond get HTTP 503. Default 20,000. */
  readonly maxConnections?: number;
  /** Largest WebSocket frame; larger ones close the connection with 1009 (MessageTooBig). Default 8 MiB. */
  readonly maxFrameBytes?: number;
  /** Largest single message (approximate JSON size); larger ones are refused with TooLarge. Default 4 MiB. */
  readonly maxMessageBytes?: number;
  /** Token buckets per connection, over every message it sends. */
  readonly connection?: RateLimits;
  /** Token buckets per account (or agent), over all its connections: content by session owner, and every message of connections authenticated as it. */
  readonly account?: RateLimits;
  /** Bytes of transactions each account (or agent) may store, counted from this process's start. */
  readonly storageQuotaBytes?: number;
  /** Banned account or agent ids. Read on every content message, so a Set you keep can change while the server runs. */
  readonly bans?: ReadonlySet<string> | readonly string[];
  /** Close connections that send a banned owner's content with 4403 (Forbidden). Default true. */
  readonly closeBanned?: boolean;
  /** Error notices per second per connection at most; further refusals are summarized. Default 20. */
  readonly noticesPerSecond?: number;
}

/** Options of `startSyncServer`. */
export interface SyncServerOptions {
  /** Interface to listen on. Default "127.0.0.1". */
  readonly host?: string;
  /** TCP port; 0 picks a free one (see `SyncServer.url`). Default 4200. */
  readonly port?: number;
  /** A storage adapter the caller owns (not closed by the server). Takes precedence over `db` and `inMemory`. */
  readonly storage?: StorageAdapter;
  /** A SQLite file path (its directory is created), or a `postgres://` URL. Default "./sync-db/storage.db". */
  readonly db?: string;
  /** Keep everything in memory (nothing survives a restart). */
  readonly inMemory?: boolean;
  /** A pino (or compatible) logger; otherwise one is created from `log`. */
  readonly logger?: Logger;
  readonly log?: LogOptions;
  readonly limits?: ServerLimits;
  readonly authenticate?: AuthenticateHook;
  /** Idle-value garbage collection of the server's node; false turns it off. Default: core's defaults. */
  readonly gc?: GcOptions | false;
  /** Time for rate limits, the node and pings. Default: the system clock. */
  readonly clock?: Clock;
  /** Default: the native Node provider of `@cosync/crypto`. */
  readonly crypto?: CryptoProvider;
  /** Ping period of each connection (ms). Default 1500, as jazz-run. */
  readonly pingIntervalMs?: number;
  /** Include Node process metrics in /metrics. Default true. */
  readonly processMetrics?: boolean;
}

export const defaultDbFile = "./sync-db/storage.db";

/** Every default, in one place. */
export const serverDefaults = {
  host: "127.0.0.1",
  port: 4200,
  db: defaultDbFile,
  maxConnections: 20_000,
  maxFrameBytes: 8 * 1024 * 1024,
  maxMessageBytes: 4 * 1024 * 1024,
  closeBanned: true,
  noticesPerSecond: 20,
  pendingTimeoutMs: 60_000,
  pingIntervalMs: 1500,
  readyTimeoutMs: 2000,
} as const;

/** Where a server keeps its data. */
export type StorageChoice =
  | { readonly kind: "given"; readonly storage: StorageAdapter }
  | { readonly kind: "memory" }
  | { readonly kind: "sqlite"; readonly file: string }
  | { readonly kind: "postgres"; readonly url: string };

export interface ResolvedLimits {
  readonly maxConnections: number;
  readonly maxFrameBytes: number;
  readonly maxMessageBytes: number;
  readonly connection: RateLimits | undefined;
  readonly account: RateLimits | undefined;
  readonly storageQuotaBytes: number | undefined;
  readonly bans: ReadonlySet<string> | undefined;
  readonly closeBanned: boolean;
  readonly noticesPerSecond: number;
}

/** Validates options (naming the bad one) and fills in defaults. */
export function resolveServerOptions(options: SyncServerOptions) {
  if (options === null || typeof options !== "object") throw new TypeError("options: expected an object");
  const host = options.host ?? serverDefaults.host;
  if (typeof host !== "string" || host === "") throw new TypeError(`host: expected a non-empty string, got ${String(host)}`);
  const port = options.port ?? serverDefaults.port;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new RangeError(`port: expected an integer from 0 to 65535, got ${String(port)}`);
  const pingIntervalMs = options.pingIntervalMs ?? serverDefaults.pingIntervalMs;
  assertNumber(pingIntervalMs, "pingIntervalMs", 0);
  return { host, port, pingIntervalMs, storage: resolveStorage(options), limits: resolveLimits(options.limits ?? {}) };
}

function resolveStorage(options: SyncServerOptions): StorageChoice {
  if (options.storage !== undefined) {
    if (options.storage === null || typeof options.storage.append !== "function") throw new TypeError("storage: expected a StorageAdapter");
    return { kind: "given", storage: options.storage };
  }
  if (options.inMemory === true) {
    if (options.db !== undefined) throw new TypeError("db and inMemory: choose one");
    return { kind: "memory" };
  }
  const db = options.db ?? serverDefaults.db;
  if (typeof db !== "string" || db === "") throw new TypeError(`db: expected a SQLite file path or a postgres:// URL, got ${String(db)}`);
  if (/^postgres(ql)?:\/\//i.test(db)) return { kind: "postgres", url: db };
  return { kind: "sqlite", file: db };
}

function resolveLimits(limits: ServerLimits): ResolvedLimits {
  const maxConnections = limits.maxConnections ?? serverDefaults.maxConnections;
  assertNumber(maxConnections, "limits.maxConnections", 1);
  const maxFrameBytes = limits.maxFrameBytes ?? serverDefaults.maxFrameBytes;
  assertNumber(maxFrameBytes, "limits.maxFrameBytes", 1);
  const maxMessageBytes = limits.maxMessageBytes ?? Math.min(serverDefaults.maxMessageBytes, maxFrameBytes);
  assertNumber(maxMessageBytes, "limits.maxMessageBytes", 1);
  const noticesPerSecond = limits.noticesPerSecond ?? serverDefaults.noticesPerSecond;
  assertNumber(noticesPerSecond, "limits.noticesPerSecond", Number.MIN_VALUE);
  if (limits.storageQuotaBytes !== undefined) assertNumber(limits.storageQuotaBytes, "limits.storageQuotaBytes", 0);
  for (const [name, rates] of [["connection", limits.connection], ["account", limits.account]] as const) {
    if (rates?.messages !== undefined) assertRateLimit(rates.messages, `limits.${name}.messages`);
    if (rates?.bytes !== undefined) assertRateLimit(rates.bytes, `limits.${name}.bytes`);
  }
  const bans = limits.bans === undefined ? undefined : Array.isArray(limits.bans) ? new Set<string>(limits.bans) : (limits.bans as ReadonlySet<string>);
  return {
    maxConnections,
    maxFrameBytes,
    maxMessageBytes,
    connection: limits.connection,
    account: limits.account,
    storageQuotaBytes: limits.storageQuotaBytes,
    bans,
    closeBanned: limits.closeBanned ?? serverDefaults.closeBanned,
    noticesPerSecond,
  };
}

function assertNumber(value: unknown, argument: string, min: number): asserts value is number {
  if (typeof value !== "number" || Number.isNaN(value) || value < min) {
    throw new RangeError(`${argument}: expected a number ≥ ${min === Number.MIN_VALUE ? "0 (exclusive)" : min}, got ${String(value)}`);
  }
}
