import type { IncomingMessage } from "node:http";
import { dirname, join, resolve } from "node:path";
import type { Clock, CryptoProvider, GcOptions, Logger, ParkingLimits, StorageAdapter } from "@cosync/core";
import type { LogOptions } from "./server-logger.js";
import type { RateLimits } from "./account-limits.js";
import { assertRateLimit } from "./token-bucket.js";
import { resolveTokenAuth, type TokenAuthOptions } from "./token-auth.js";
import { type ClusterOption, resolveClusterOption } from "./cluster/cluster-options.js";

/** What `authenticate` decided about a connection attempt. */
export type AuthVerdict =
  | {
      readonly ok: true;
      readonly accountId?: string;
      /** The agent a token proved (built-in `auth`): the connection then writes only its account's sessions. */
      readonly agentId?: string;
      /** A connection without credentials, admitted by `auth.mode: "optional"`: it may only read. */
      readonly anonymous?: boolean;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Decides whether an upgrade request may connect. cojson clients can carry a token only in the
 * URL (docs/protocol.md: Jazz Cloud uses `?key=…`), so read it from `request.url`. Refusals get HTTP 401.
 * A thrown error or rejected promise refuses with 500 and is logged; a promise not settled within
 * `authenticateTimeoutMs` refuses with 504 and is logged (its late verdict is ignored).
 */
export type AuthenticateHook = (request: IncomingMessage) => AuthVerdict | Promise<AuthVerdict>;

/**
 * Limits of a server. Every number must be finite: "no limit" is written by leaving a rate or
 * the quota out (they are unlimited when absent); Infinity, NaN and negatives are refused.
 */
export interface ServerLimits {
  /** Open connections at most; upgrades beyond get HTTP 503. Default 20,000. */
  readonly maxConnections?: number;
  /** Largest WebSocket frame; larger ones close the connection with 1009 (MessageTooBig). Default 8 MiB. */
  readonly maxFrameBytes?: number;
  /** Largest single message (approximate JSON size); larger ones are refused with TooLarge. Default 4 MiB. */
  readonly maxMessageBytes?: number;
  /**
   * Largest CoValue header (its JSON) the server stores; larger ones are refused with TooLarge.
   * cojson's headers are a few hundred bytes. Default 64 KiB.
   */
  readonly maxHeaderBytes?: number;
  /** Token buckets per connection, over every message it sends. */
  readonly connection?: RateLimits;
  /** Token buckets per authenticated account (see `authenticate`), over every message of all its connections. */
  readonly account?: RateLimits;
  /** Token buckets shared by every connection no account is known for (anonymous or unauthenticated), over all their messages. */
  readonly unauthenticated?: RateLimits;
  /**
   * Bytes (headers and transactions, once verified) that each authenticated account may store
   * through its connections, counted from this process's start (a restart starts everyone from
   * zero). Not charged to the accounts that signed content: anyone can copy a signed session into
   * a value of their own. Unauthenticated peers are bounded by `connectionQuotaBytes`.
   */
  readonly storageQuotaBytes?: number;
  /**
   * Bytes of verified content (headers and transactions) one connection may store. Default: the
   * value of `storageQuotaBytes` when that is set, else unlimited.
   */
  readonly connectionQuotaBytes?: number;
  /**
   * Content signed by an account this server doesn't know waits for it, unverified: at most this
   * many pieces per connection (default 256)…
   */
  readonly maxParkedPerConnection?: number;
  /** …and bytes per connection (default 4 MiB)… */
  readonly maxParkedBytesPerConnection?: number;
  /** …and bytes across all connections (default 64 MiB)… */
  readonly maxParkedBytes?: number;
  /** …for at most this long (ms, default 60,000); then it is refused with UnknownSigner. */
  readonly parkTimeoutMs?: number;
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
  /**
   * Where the server's signing key (for durability receipts) is kept; created on first start.
   * Default: `server-key.json` beside a SQLite file; none (a key per process) for PostgreSQL,
   * given storage and in-memory servers.
   */
  readonly serverKeyFile?: string;
  /** Built-in token authentication (see TokenAuthOptions); instead of `authenticate`. */
  readonly auth?: TokenAuthOptions;
  /**
   * How long `authenticate` may take (ms) before the upgrade is refused with HTTP 504; meanwhile the
   * request holds a connection slot. Default 10,000.
   */
  readonly authenticateTimeoutMs?: number;
  /** Idle-value garbage collection of the server's node (`intervalMs` ≥ 1, `idleMs` ≥ 0); false turns it off. Default: core's defaults. */
  readonly gc?: GcOptions | false;
  /** Time for rate limits, the node and pings. Default: the system clock. */
  readonly clock?: Clock;
  /** Default: the native Node provider of `@cosync/crypto`. */
  readonly crypto?: CryptoProvider;
  /** Ping period of each connection (ms); 0 sends no pings. Default 1500, as jazz-run. */
  readonly pingIntervalMs?: number;
  /**
   * On close, how long to wait for content received before the close to be committed and
   * acknowledged before the connections are closed anyway (ms). Default 5000.
   */
  readonly drainTimeoutMs?: number;
  /** Include Node process metrics in /metrics. Default true. */
  readonly processMetrics?: boolean;
  /**
   * Run as one of several processes sharing one PostgreSQL `db`: `"nats://host:4222"` or `"postgres"`
   * (LISTEN/NOTIFY) carries commit notices between them (see docs/scaling.md). Default: alone.
   */
  readonly cluster?: ClusterOption;
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
  maxHeaderBytes: 64 * 1024,
  closeBanned: true,
  noticesPerSecond: 20,
  pingIntervalMs: 1500,
  drainTimeoutMs: 5000,
  authenticateTimeoutMs: 10_000,
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
  readonly maxHeaderBytes: number;
  readonly connection: RateLimits | undefined;
  readonly account: RateLimits | undefined;
  readonly unauthenticated: RateLimits | undefined;
  readonly storageQuotaBytes: number | undefined;
  readonly connectionQuotaBytes: number | undefined;
  readonly parking: Partial<ParkingLimits>;
  readonly bans: ReadonlySet<string> | undefined;
  readonly closeBanned: boolean;
  readonly noticesPerSecond: number;
}

/** Validates options (naming the bad one) and fills in defaults. */
// A misspelt option must not be ignored silently (a limit meant to protect the server would be off).
const optionNames = new Set<keyof SyncServerOptions>([
  "host",
  "port",
  "storage",
  "db",
  "inMemory",
  "logger",
  "log",
  "limits",
  "authenticate",
  "auth",
  "serverKeyFile",
  "authenticateTimeoutMs",
  "gc",
  "clock",
  "crypto",
  "pingIntervalMs",
  "drainTimeoutMs",
  "processMetrics",
  "cluster",
]);
const limitNames = new Set<keyof ServerLimits>([
  "maxConnections",
  "maxFrameBytes",
  "maxMessageBytes",
  "maxHeaderBytes",
  "connection",
  "account",
  "unauthenticated",
  "storageQuotaBytes",
  "connectionQuotaBytes",
  "maxParkedPerConnection",
  "maxParkedBytesPerConnection",
  "maxParkedBytes",
  "parkTimeoutMs",
  "bans",
  "closeBanned",
  "noticesPerSecond",
]);

function assertKnownNames(value: object, known: ReadonlySet<string>, path: string): void {
  for (const name of Object.keys(value)) {
    if (!known.has(name)) throw new TypeError(`${path}${name}: unknown option (expected one of ${[...known].join(", ")})`);
  }
}

export function resolveServerOptions(options: SyncServerOptions) {
  if (options === null || typeof options !== "object") throw new TypeError("options: expected an object");
  assertKnownNames(options, optionNames, "");
  const host = options.host ?? serverDefaults.host;
  if (typeof host !== "string" || host === "") throw new TypeError(`host: expected a non-empty string, got ${String(host)}`);
  const port = options.port ?? serverDefaults.port;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new RangeError(`port: expected an integer from 0 to 65535, got ${String(port)}`);
  const pingIntervalMs = options.pingIntervalMs ?? serverDefaults.pingIntervalMs;
  assertDuration(pingIntervalMs, "pingIntervalMs", " (0: no pings)");
  const drainTimeoutMs = options.drainTimeoutMs ?? serverDefaults.drainTimeoutMs;
  assertDuration(drainTimeoutMs, "drainTimeoutMs");
  if (options.authenticate !== undefined && typeof options.authenticate !== "function")
    throw new TypeError("authenticate: expected a function");
  const authenticateTimeoutMs = options.authenticateTimeoutMs ?? serverDefaults.authenticateTimeoutMs;
  // 0 would refuse every hook that awaits anything.
  assertDuration(authenticateTimeoutMs, "authenticateTimeoutMs", "", 1);
  const limits = options.limits ?? {};
  if (limits === null || typeof limits !== "object") throw new TypeError("limits: expected an object");
  assertKnownNames(limits, limitNames, "limits.");
  const gc = resolveGc(options.gc);
  const storage = resolveStorage(options);
  const auth = resolveTokenAuth(options.auth);
  if (auth !== undefined && options.authenticate !== undefined) throw new TypeError("auth and authenticate: choose one");
  if (options.serverKeyFile !== undefined && (typeof options.serverKeyFile !== "string" || options.serverKeyFile === "")) {
    throw new TypeError("serverKeyFile: expected a file path");
  }
  const serverKeyFile = options.serverKeyFile ?? (storage.kind === "sqlite" ? join(dirname(resolve(storage.file)), "server-key.json") : undefined);
  const cluster = resolveClusterOption(options.cluster, storage);
  return { host, port, pingIntervalMs, drainTimeoutMs, authenticateTimeoutMs, gc, storage, auth, serverKeyFile, cluster, limits: resolveLimits(limits) };
}

const gcOptionNames = new Set(["intervalMs", "idleMs"]);

/**
 * Core takes GC options as given: a NaN or negative `intervalMs` would collect in a tight loop and
 * a NaN `idleMs` would count every value as idle, so bad values are refused here, by name.
 */
function resolveGc(gc: SyncServerOptions["gc"]): GcOptions | false {
  if (gc === undefined) return {};
  if (gc === false) return false;
  if (gc === null || typeof gc !== "object" || Array.isArray(gc)) {
    throw new TypeError(`gc: expected false or an object { intervalMs?, idleMs? }, got ${String(gc)}`);
  }
  for (const name of Object.keys(gc)) {
    if (!gcOptionNames.has(name)) throw new TypeError(`gc.${name}: unknown option (expected intervalMs or idleMs)`);
  }
  // Every run walks all values in memory: at least 1 ms apart.
  if (gc.intervalMs !== undefined) assertDuration(gc.intervalMs, "gc.intervalMs", "", 1);
  if (gc.idleMs !== undefined) assertDuration(gc.idleMs, "gc.idleMs");
  return gc;
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
  // Another database's URL must not become a SQLite file named "mysql:" (one letter is a Windows drive).
  const scheme = /^([a-z][a-z0-9+.-]+):\/\//i.exec(db)?.[1];
  if (scheme !== undefined) {
    const shown = db.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@]*@/i, "$1***@");
    throw new TypeError(`db: "${shown}" is not supported (${scheme}://): expected a SQLite file path or a postgres:// or postgresql:// URL`);
  }
  return { kind: "sqlite", file: db };
}

function resolveLimits(limits: ServerLimits): ResolvedLimits {
  const maxConnections = limits.maxConnections ?? serverDefaults.maxConnections;
  assertInteger(maxConnections, "limits.maxConnections", 1);
  const maxFrameBytes = limits.maxFrameBytes ?? serverDefaults.maxFrameBytes;
  assertInteger(maxFrameBytes, "limits.maxFrameBytes", 1);
  const maxMessageBytes = limits.maxMessageBytes ?? Math.min(serverDefaults.maxMessageBytes, maxFrameBytes);
  assertInteger(maxMessageBytes, "limits.maxMessageBytes", 1);
  // A message is at most one frame: a larger message limit would promise what frames refuse.
  if (maxMessageBytes > maxFrameBytes) {
    throw new RangeError(`limits.maxMessageBytes (${maxMessageBytes}) cannot exceed limits.maxFrameBytes (${maxFrameBytes})`);
  }
  const maxHeaderBytes = limits.maxHeaderBytes ?? serverDefaults.maxHeaderBytes;
  assertInteger(maxHeaderBytes, "limits.maxHeaderBytes", 1);
  const noticesPerSecond = limits.noticesPerSecond ?? serverDefaults.noticesPerSecond;
  if (typeof noticesPerSecond !== "number" || !Number.isFinite(noticesPerSecond) || noticesPerSecond <= 0) {
    throw new RangeError(`limits.noticesPerSecond: expected a finite number > 0, got ${String(noticesPerSecond)}`);
  }
  if (limits.storageQuotaBytes !== undefined) assertInteger(limits.storageQuotaBytes, "limits.storageQuotaBytes", 0);
  const connectionQuotaBytes = limits.connectionQuotaBytes ?? limits.storageQuotaBytes;
  if (connectionQuotaBytes !== undefined) assertInteger(connectionQuotaBytes, "limits.connectionQuotaBytes", 0);
  const parking = resolveParking(limits);
  const closeBanned = limits.closeBanned ?? serverDefaults.closeBanned;
  if (typeof closeBanned !== "boolean") throw new TypeError(`limits.closeBanned: expected a boolean, got ${String(closeBanned)}`);
  for (const [name, rates] of [
    ["connection", limits.connection],
    ["account", limits.account],
    ["unauthenticated", limits.unauthenticated],
  ] as const) {
    if (rates?.messages !== undefined) assertRateLimit(rates.messages, `limits.${name}.messages`);
    if (rates?.bytes !== undefined) assertRateLimit(rates.bytes, `limits.${name}.bytes`);
  }
  const bans = resolveBans(limits.bans);
  return {
    maxConnections,
    maxFrameBytes,
    maxMessageBytes,
    maxHeaderBytes,
    connection: limits.connection,
    account: limits.account,
    unauthenticated: limits.unauthenticated,
    storageQuotaBytes: limits.storageQuotaBytes,
    connectionQuotaBytes,
    parking,
    bans,
    closeBanned,
    noticesPerSecond,
  };
}

function resolveParking(limits: ServerLimits): Partial<ParkingLimits> {
  const parking: { -readonly [K in keyof ParkingLimits]?: number } = {};
  if (limits.maxParkedPerConnection !== undefined) {
    assertInteger(limits.maxParkedPerConnection, "limits.maxParkedPerConnection", 0);
    parking.maxParkedPerPeer = limits.maxParkedPerConnection;
  }
  if (limits.maxParkedBytesPerConnection !== undefined) {
    assertInteger(limits.maxParkedBytesPerConnection, "limits.maxParkedBytesPerConnection", 0);
    parking.maxParkedBytesPerPeer = limits.maxParkedBytesPerConnection;
  }
  if (limits.maxParkedBytes !== undefined) {
    assertInteger(limits.maxParkedBytes, "limits.maxParkedBytes", 0);
    parking.maxParkedBytes = limits.maxParkedBytes;
  }
  if (limits.parkTimeoutMs !== undefined) {
    assertDuration(limits.parkTimeoutMs, "limits.parkTimeoutMs", "", 1);
    parking.parkTimeoutMs = limits.parkTimeoutMs;
  }
  return parking;
}

function resolveBans(bans: ServerLimits["bans"]): ReadonlySet<string> | undefined {
  if (bans === undefined) return undefined;
  // A caller's Set is kept as is (it may change while the server runs); an array is checked once.
  if (!Array.isArray(bans)) {
    if (bans !== null && typeof (bans as ReadonlySet<string>).has === "function") return bans as ReadonlySet<string>;
    throw new TypeError("limits.bans: expected an array or a Set of account or agent ids");
  }
  for (const id of bans) {
    if (typeof id !== "string" || id.trim() === "") {
      throw new TypeError(`limits.bans: expected account or agent ids (non-empty strings), got ${JSON.stringify(id) ?? String(id)}`);
    }
  }
  return new Set<string>(bans);
}

function assertInteger(value: unknown, argument: string, min: number): asserts value is number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${argument}: expected an integer from ${min} to ${Number.MAX_SAFE_INTEGER}, got ${String(value)}`);
  }
}

// Longest delay a Node timer honours; longer ones (and Infinity) fire at once.
const MAX_TIMER_MS = 2 ** 31 - 1;

function assertDuration(value: unknown, argument: string, hint = "", min = 0): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > MAX_TIMER_MS) {
    throw new RangeError(`${argument}: expected a number from ${min} to ${MAX_TIMER_MS}${hint}, got ${String(value)}`);
  }
}
