// Command-line arguments and environment variables of `cosync serve` → startSyncServer options.
import { authOptionFromSettings, authUsage } from "./auth-args.js";
import { closestName } from "./closest-name.js";
import { checkDbSetting } from "./db-setting.js";
import { type FlagValues, parseFlags } from "./parse-flags.js";
import { UsageError } from "./usage-error.js";
import { defaultDbFile, type LogFormat, logLevels, type ServerLimits, serverDefaults, type SyncServerOptions } from "@cosync/server";

export const usage = `Usage: cosync serve [options]

Runs the sync server. Every option can also be set with the environment variable in brackets;
a command-line flag wins over its variable, and an empty variable counts as unset.

  --host <address>                 interface to listen on [COSYNC_HOST] (default ${serverDefaults.host})
  --port <port>                    TCP port, 0 for any free one [COSYNC_PORT] (default ${serverDefaults.port})
  --db <file|postgres://…>         SQLite file (directory created if missing) or PostgreSQL URL (postgres:// or
                                   postgresql://; other databases are refused) [COSYNC_DB] (default ${defaultDbFile})
  --in-memory                      keep data in memory only [COSYNC_IN_MEMORY=1]; --db and --in-memory
                                   exclude each other (a flag wins over the other's variable)
  --log-format <json|pretty>       log lines as JSON or readable text [COSYNC_LOG_FORMAT] (default: pretty when
                                   standard output is a terminal, else json)
  --log-level <level>              ${logLevels.join("|")} [COSYNC_LOG_LEVEL] (default info); debug adds
                                   each connection's open and close with its message and byte counts, trace
                                   each sync message (action, value id, sessions, size; never its content).
                                   The "listening on ws://…" record is printed at every level but silent
  --max-connections <n>            open connections at most [COSYNC_MAX_CONNECTIONS] (default ${serverDefaults.maxConnections})
  --max-frame-bytes <size>         largest WebSocket frame [COSYNC_MAX_FRAME_BYTES] (default 8MiB)
  --max-message-bytes <size>       largest sync message, at most the frame size [COSYNC_MAX_MESSAGE_BYTES] (default 4MiB)
  --max-header-bytes <size>        largest CoValue header stored [COSYNC_MAX_HEADER_BYTES] (default 64KiB)
  --conn-messages-per-second <n>   per-connection message rate [COSYNC_CONN_MESSAGES_PER_SECOND]
  --conn-bytes-per-second <size>   per-connection byte rate [COSYNC_CONN_BYTES_PER_SECOND]
  --account-messages-per-second <n>  per authenticated account (--auth), over all its connections
                                   [COSYNC_ACCOUNT_MESSAGES_PER_SECOND]
  --account-bytes-per-second <size>  per authenticated account byte rate [COSYNC_ACCOUNT_BYTES_PER_SECOND]
  --burst-seconds <s>              rates allow bursts of this many seconds' worth [COSYNC_BURST_SECONDS] (default 2)
  --quota-bytes <size>             bytes an authenticated account (--auth) may store through its connections
                                   (headers and verified transactions), kept in the database across restarts
                                   [COSYNC_QUOTA_BYTES]; also the default of --connection-quota-bytes
  --connection-quota-bytes <size>  stored bytes (headers and transactions) per connection [COSYNC_CONNECTION_QUOTA_BYTES]
                                   (default: the --quota-bytes value if set, else unlimited)
  --max-parked-bytes <size>        content signed by accounts the server doesn't know yet waits for them, unverified:
                                   at most this much across all connections (each connection at most 256 pieces,
                                   4MiB, 60 s) [COSYNC_MAX_PARKED_BYTES] (default 64MiB)
  --ban <id>                       refuse content written by this account (co_z…) or agent (sealer_z…/signer_z…),
                                   close a connection that sends it with 4403, refuse connections authenticated as it
                                   (startSyncServer's authenticate hook); banning an account also bans its agent. Repeatable [COSYNC_BAN, comma-separated]
  --cluster <nats://…|postgres>    one of several processes sharing the PostgreSQL --db: commits are announced to the
                                   others over NATS, or over PostgreSQL LISTEN/NOTIFY ("postgres") [COSYNC_CLUSTER]
${authUsage}
  -h, --help                       show this help

Sizes take an optional unit: 512KiB, 8MiB, 1GiB, 100kB, 5MB.
Rates and quotas are unlimited when not set (the connection quota defaults to --quota-bytes); "unlimited" sets that explicitly (to override a variable).
Invalid values are refused with exit code 2.`;

const options = {
  host: { type: "string" },
  port: { type: "string" },
  db: { type: "string" },
  "in-memory": { type: "boolean" },
  "log-format": { type: "string" },
  "log-level": { type: "string" },
  "max-connections": { type: "string" },
  "max-frame-bytes": { type: "string" },
  "max-message-bytes": { type: "string" },
  "max-header-bytes": { type: "string" },
  "conn-messages-per-second": { type: "string" },
  "conn-bytes-per-second": { type: "string" },
  "account-messages-per-second": { type: "string" },
  "account-bytes-per-second": { type: "string" },
  "burst-seconds": { type: "string" },
  "quota-bytes": { type: "string" },
  "connection-quota-bytes": { type: "string" },
  "max-parked-bytes": { type: "string" },
  ban: { type: "string", multiple: true },
  cluster: { type: "string" },
  auth: { type: "string" },
  signup: { type: "string" },
  anonymous: { type: "string" },
  "allow-account": { type: "string", multiple: true },
  "auth-audience": { type: "string", multiple: true },
  "max-token-hours": { type: "string" },
  "server-key-file": { type: "string" },
  "unauth-messages-per-second": { type: "string" },
  "unauth-bytes-per-second": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type OptionName = keyof typeof options;

/** The environment variable of a flag: `--max-frame-bytes` → `COSYNC_MAX_FRAME_BYTES`. */
export function variableOf(name: OptionName): string {
  return `COSYNC_${name.toUpperCase().replaceAll("-", "_")}`;
}

// COSYNC_URL is the clients' variable (the docs' example programs read it to find the server): a
// shell that exports it for them must still be able to start a server.
const knownVariables = new Set([...(Object.keys(options) as OptionName[]).filter((name) => name !== "help").map(variableOf), "COSYNC_URL"]);

type Values = FlagValues<typeof options>;

/** A setting's text and where it came from (`--port` or `COSYNC_PORT`), for error messages. */
interface Setting {
  readonly text: string;
  readonly source: string;
}

/** The value of a string flag, else of its environment variable (empty = unset). */
function setting(values: Values, env: NodeJS.ProcessEnv, name: OptionName): Setting | undefined {
  const value = values[name];
  if (typeof value === "string") {
    if (value.trim() === "") throw new UsageError(`--${name}: expected a value, got an empty string`);
    return { text: value, source: `--${name}` };
  }
  const variable = variableOf(name);
  const fromEnv = env[variable];
  return fromEnv === undefined || fromEnv.trim() === "" ? undefined : { text: fromEnv, source: variable };
}

function parseCount(value: Setting | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const number = /^\d+$/.test(value.text.trim()) ? Number(value.text) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new UsageError(`${value.source}: expected an integer from ${min} to ${max}, got "${value.text}"`);
  }
  return number;
}

/** "unlimited" (explicit) is null; unset is undefined. */
function isUnlimited(value: Setting | undefined): boolean {
  return value?.text.trim().toLowerCase() === "unlimited";
}

function parsePositive(value: Setting | undefined, unlimited = false): number | null | undefined {
  if (value === undefined) return undefined;
  if (unlimited && isUnlimited(value)) return null;
  const number = /^\d+(\.\d+)?$/.test(value.text.trim()) ? Number(value.text) : Number.NaN;
  if (!(number > 0) || !Number.isFinite(number)) {
    throw new UsageError(`${value.source}: expected a positive number${unlimited ? ' or "unlimited"' : ""}, got "${value.text}"`);
  }
  return number;
}

const units: Record<string, number> = { "": 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

function parseSize(value: Setting | undefined, unlimited = false): number | null | undefined {
  if (value === undefined) return undefined;
  if (unlimited && isUnlimited(value)) return null;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.text.trim());
  const factor = match === null ? undefined : units[(match[2] ?? "").toLowerCase()];
  const or = unlimited ? ' or "unlimited"' : "";
  if (match === null || factor === undefined) {
    throw new UsageError(`${value.source}: expected a size in bytes like 1048576, 512KiB or 8MiB${or}, got "${value.text}"`);
  }
  const number = Math.floor(Number(match[1]) * factor);
  if (number < 1) throw new UsageError(`${value.source}: expected at least 1 byte${or}, got "${value.text}"`);
  if (!Number.isSafeInteger(number)) throw new UsageError(`${value.source}: expected at most ${Number.MAX_SAFE_INTEGER} bytes, got "${value.text}"`);
  return number;
}

function parseBoolean(value: Setting | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (/^(1|true|yes|on)$/i.test(value.text.trim())) return true;
  if (/^(0|false|no|off)$/i.test(value.text.trim())) return false;
  throw new UsageError(`${value.source}: expected 1/true or 0/false, got "${value.text}"`);
}

// cojson ids: an account is a CoValue id; an agent is its sealer and signer keys' ids.
const accountIdPattern = /^co_z[1-9A-HJ-NP-Za-km-z]+$/;
const agentIdPattern = /^sealer_z[1-9A-HJ-NP-Za-km-z]+\/signer_z[1-9A-HJ-NP-Za-km-z]+$/;

/** A repeatable flag's values, else its variable's comma-separated list (flags replace the variable). */
function repeated(values: Values, env: NodeJS.ProcessEnv, name: "ban" | "allow-account" | "auth-audience"): Setting[] {
  const flags = values[name];
  const variable = variableOf(name);
  const fromEnv = env[variable];
  return flags !== undefined
    ? flags.map((text) => ({ text, source: `--${name}` }))
    : fromEnv === undefined || fromEnv.trim() === ""
      ? []
      : fromEnv.split(",").map((text) => ({ text, source: variable }));
}

/** `--ban` flags replace COSYNC_BAN (a comma-separated list), like every other flag and variable. */
function parseBans(values: Values, env: NodeJS.ProcessEnv): string[] {
  return repeated(values, env, "ban").map(({ text, source }) => {
    const id = text.trim();
    if (!accountIdPattern.test(id) && !agentIdPattern.test(id)) {
      throw new UsageError(`${source}: expected an account id (co_z…) or an agent id (sealer_z…/signer_z…), got "${text}"`);
    }
    return id;
  });
}

/** The COSYNC_* variables of `env` that no cosync command reads, in the order given. */
export function unknownVariables(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env).filter((variable) => variable.startsWith("COSYNC_") && !knownVariables.has(variable));
}

/**
 * "COSYNC_PORTT: unknown environment variable (did you mean COSYNC_PORT?)", with `consequence`
 * (", ignored") before the hint. Names are compared without the common prefix, which would
 * otherwise make any two of them look alike.
 */
export function unknownVariableMessage(variable: string, consequence = ""): string {
  const suggestion = closestName(variable.slice("COSYNC_".length), [...knownVariables].map((known) => known.slice("COSYNC_".length)));
  const hint = variable === "COSYNC_BANS" ? " (it is COSYNC_BAN now)" : suggestion === undefined ? "" : ` (did you mean COSYNC_${suggestion}?)`;
  return `${variable}: unknown environment variable${consequence}${hint}`;
}

/** Unknown COSYNC_* variables are refused: a misspelt limit must not be silently ignored. */
function checkVariables(env: NodeJS.ProcessEnv): void {
  const [unknown] = unknownVariables(env);
  if (unknown !== undefined) throw new UsageError(unknownVariableMessage(unknown));
}

/** Where data is kept: a flag wins over the other setting's variable; two at the same level conflict. */
function storageOf(values: Values, env: NodeJS.ProcessEnv): { inMemory: true } | { db: string } | Record<string, never> {
  const dbFlag = values.db;
  if (typeof dbFlag === "string" && dbFlag.trim() === "") throw new UsageError("--db: expected a SQLite file path or a postgres:// URL, got an empty string");
  if (values["in-memory"] === true && dbFlag !== undefined) throw new UsageError("--db and --in-memory: choose one");
  if (values["in-memory"] === true) return { inMemory: true };
  if (dbFlag !== undefined) return { db: checkDbSetting({ text: dbFlag, source: "--db" }) };
  const inMemory = parseBoolean(setting(values, env, "in-memory"));
  const db = setting(values, env, "db");
  if (inMemory === true && db !== undefined) throw new UsageError("COSYNC_DB and COSYNC_IN_MEMORY: choose one");
  if (inMemory === true) return { inMemory: true };
  return db === undefined ? {} : { db: checkDbSetting(db) };
}

/** Whether standard output is a terminal: logs default to readable lines there, JSON elsewhere. */
export interface Terminal {
  readonly stdoutIsTty: boolean;
}

/**
 * Turns the arguments after `cosync serve` and the environment into server options; throws
 * UsageError naming the bad flag or variable.
 */
export function serverOptionsFromArgs(args: readonly string[], env: NodeJS.ProcessEnv, terminal: Terminal = { stdoutIsTty: false }): SyncServerOptions | "help" {
  const { values, positionals } = parseFlags(args, options);
  if (values.help === true) return "help";
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  checkVariables(env);

  const get = (name: OptionName) => setting(values, env, name);
  const host = get("host")?.text;
  const port = parseCount(get("port"), 0, 65_535);
  const storage = storageOf(values, env);
  const logFormatSetting = get("log-format");
  const logFormat = logFormatSetting?.text ?? (terminal.stdoutIsTty ? "pretty" : "json");
  if (logFormat !== "json" && logFormat !== "pretty") throw new UsageError(`${logFormatSetting?.source}: expected json or pretty, got "${logFormat}"`);
  const logLevelSetting = get("log-level");
  const logLevel = logLevelSetting?.text ?? "info";
  if (!(logLevels as readonly string[]).includes(logLevel)) {
    throw new UsageError(`${logLevelSetting?.source}: expected one of ${logLevels.join(", ")}, got "${logLevel}"`);
  }

  const burstSeconds = parsePositive(get("burst-seconds")) ?? 2;
  const rate = (perSecond: number | null | undefined) => (perSecond == null ? undefined : { perSecond, burst: perSecond * burstSeconds });
  const rates = (messages: number | null | undefined, bytes: number | null | undefined) =>
    messages == null && bytes == null
      ? undefined
      : { ...(messages == null ? {} : { messages: rate(messages) }), ...(bytes == null ? {} : { bytes: rate(bytes) }) };
  const bans = parseBans(values, env);

  const limits: Record<string, unknown> = {
    maxConnections: parseCount(get("max-connections"), 1),
    maxFrameBytes: parseSize(get("max-frame-bytes")),
    maxMessageBytes: parseSize(get("max-message-bytes")),
    maxHeaderBytes: parseSize(get("max-header-bytes")),
    connection: rates(parsePositive(get("conn-messages-per-second"), true), parseSize(get("conn-bytes-per-second"), true)),
    account: rates(parsePositive(get("account-messages-per-second"), true), parseSize(get("account-bytes-per-second"), true)),
    unauthenticated: rates(parsePositive(get("unauth-messages-per-second"), true), parseSize(get("unauth-bytes-per-second"), true)),
    storageQuotaBytes: parseSize(get("quota-bytes"), true) ?? undefined,
    // "unlimited" must override the default taken from --quota-bytes.
    connectionQuotaBytes: unlimitedAsMax(parseSize(get("connection-quota-bytes"), true)),
    maxParkedBytes: parseSize(get("max-parked-bytes")),
    bans: bans.length > 0 ? bans : undefined,
  };
  for (const key of Object.keys(limits)) if (limits[key] === undefined) delete limits[key];
  const frame = (limits.maxFrameBytes as number | undefined) ?? serverDefaults.maxFrameBytes;
  const message = limits.maxMessageBytes as number | undefined;
  if (message !== undefined && message > frame) {
    throw new UsageError(`${get("max-message-bytes")?.source} (${message}) cannot exceed the frame size (${frame}, --max-frame-bytes)`);
  }
  const cluster = get("cluster");
  if (cluster !== undefined && !/^(nats|postgres(ql)?):\/\/|^postgres$/i.test(cluster.text.trim())) {
    throw new UsageError(`${cluster.source}: expected nats://host:port, postgres or a postgres:// URL, got "${cluster.text}"`);
  }

  const auth = authOptionFromSettings({
    auth: get("auth"),
    signup: get("signup"),
    anonymous: get("anonymous"),
    allowAccounts: repeated(values, env, "allow-account"),
    audiences: repeated(values, env, "auth-audience"),
    maxTokenHours: parseCount(get("max-token-hours"), 1, 24 * 365),
  });
  const serverKeyFile = get("server-key-file")?.text;

  return {
    ...(host === undefined ? {} : { host }),
    ...(auth === undefined ? {} : { auth }),
    ...(serverKeyFile === undefined ? {} : { serverKeyFile }),
    ...(port === undefined ? {} : { port }),
    ...storage,
    ...(cluster === undefined ? {} : { cluster: cluster.text.trim() }),
    log: { format: logFormat as LogFormat, level: logLevel as never },
    limits: limits as ServerLimits,
  };
}

function unlimitedAsMax(size: number | null | undefined): number | undefined {
  return size === null ? Number.MAX_SAFE_INTEGER : size;
}
