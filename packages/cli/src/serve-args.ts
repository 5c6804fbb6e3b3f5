// Command-line arguments and environment variables of `cosync serve` → startSyncServer options.
import { parseArgs } from "node:util";
import { defaultDbFile, type LogFormat, logLevels, type ServerLimits, serverDefaults, type SyncServerOptions } from "@cosync/server";

/** A command-line mistake: printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const usage = `Usage: cosync serve [options]

Runs the sync server. Every option can also be set with the environment variable in brackets;
command-line flags win.

  --host <address>                 interface to listen on [COSYNC_HOST] (default ${serverDefaults.host})
  --port <port>                    TCP port, 0 for any free one [COSYNC_PORT] (default ${serverDefaults.port})
  --db <file|postgres://…>         SQLite file (directory created if missing) or PostgreSQL URL [COSYNC_DB]
                                   (default ${defaultDbFile})
  --in-memory                      keep data in memory only [COSYNC_IN_MEMORY=1]
  --log-format <json|pretty>       log lines as JSON or readable text [COSYNC_LOG_FORMAT] (default json)
  --log-level <level>              ${logLevels.join("|")} [COSYNC_LOG_LEVEL] (default info)
  --max-connections <n>            open connections at most [COSYNC_MAX_CONNECTIONS] (default ${serverDefaults.maxConnections})
  --max-frame-bytes <size>         largest WebSocket frame [COSYNC_MAX_FRAME_BYTES] (default 8MiB)
  --max-message-bytes <size>       largest sync message [COSYNC_MAX_MESSAGE_BYTES] (default 4MiB)
  --conn-messages-per-second <n>   per-connection message rate [COSYNC_CONN_MESSAGES_PER_SECOND]
  --conn-bytes-per-second <size>   per-connection byte rate [COSYNC_CONN_BYTES_PER_SECOND]
  --account-messages-per-second <n>  per-account message rate, over all its connections [COSYNC_ACCOUNT_MESSAGES_PER_SECOND]
  --account-bytes-per-second <size>  per-account byte rate [COSYNC_ACCOUNT_BYTES_PER_SECOND]
  --burst-seconds <s>              rates allow bursts of this many seconds' worth [COSYNC_BURST_SECONDS] (default 2)
  --quota-bytes <size>             stored transaction bytes per account [COSYNC_QUOTA_BYTES]
  --ban <id>                       ban an account or agent id; repeatable [COSYNC_BANS, comma-separated]
  -h, --help                       show this help

Sizes take an optional unit: 512KiB, 8MiB, 1GiB, 100kB, 5MB.
Unlimited when a rate or quota is not set.`;

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
  "conn-messages-per-second": { type: "string" },
  "conn-bytes-per-second": { type: "string" },
  "account-messages-per-second": { type: "string" },
  "account-bytes-per-second": { type: "string" },
  "burst-seconds": { type: "string" },
  "quota-bytes": { type: "string" },
  ban: { type: "string", multiple: true },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>["values"];

/** A setting's text and where it came from (`--port` or `COSYNC_PORT`), for error messages. */
interface Setting {
  readonly text: string;
  readonly source: string;
}

/** The value of a string flag, else of its environment variable. */
function setting(values: Values, env: NodeJS.ProcessEnv, name: keyof typeof options): Setting | undefined {
  const value = values[name];
  if (typeof value === "string") return { text: value, source: `--${name}` };
  const variable = `COSYNC_${name.toUpperCase().replaceAll("-", "_")}`;
  const fromEnv = env[variable];
  return fromEnv === undefined || fromEnv === "" ? undefined : { text: fromEnv, source: variable };
}

function parseCount(value: Setting | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const number = /^\d+$/.test(value.text.trim()) ? Number(value.text) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new UsageError(`${value.source}: expected an integer from ${min} to ${max}, got "${value.text}"`);
  }
  return number;
}

function parsePositive(value: Setting | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = /^\d+(\.\d+)?$/.test(value.text.trim()) ? Number(value.text) : Number.NaN;
  if (!(number > 0) || !Number.isFinite(number)) throw new UsageError(`${value.source}: expected a positive number, got "${value.text}"`);
  return number;
}

const units: Record<string, number> = { "": 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

function parseSize(value: Setting | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.text.trim());
  const factor = match === null ? undefined : units[(match[2] ?? "").toLowerCase()];
  const number = match === null || factor === undefined ? Number.NaN : Math.floor(Number(match[1]) * factor);
  if (!(number >= 1) || !Number.isSafeInteger(number)) {
    throw new UsageError(`${value.source}: expected a size in bytes like 1048576, 512KiB or 8MiB, got "${value.text}"`);
  }
  return number;
}

function parseBoolean(text: string | undefined, name: string): boolean | undefined {
  if (text === undefined || text === "") return undefined;
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off)$/i.test(text)) return false;
  throw new UsageError(`${name}: expected 1/true or 0/false, got "${text}"`);
}

/** Turns argv and the environment into server options; throws UsageError naming the bad flag. */
export function serverOptionsFromArgs(argv: readonly string[], env: NodeJS.ProcessEnv): SyncServerOptions | "help" {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help === true) return "help";
  const [command, ...rest] = positionals;
  if (command !== "serve") throw new UsageError(command === undefined ? "missing command: cosync serve" : `unknown command "${command}"`);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);

  const get = (name: keyof typeof options) => setting(values, env, name);
  const hostSetting = get("host");
  if (hostSetting !== undefined && hostSetting.text.trim() === "") throw new UsageError(`${hostSetting.source}: expected an address`);
  const host = hostSetting?.text;
  const port = parseCount(get("port"), 0, 65_535);
  const inMemory = values["in-memory"] === true || parseBoolean(env.COSYNC_IN_MEMORY, "COSYNC_IN_MEMORY") === true;
  const db = get("db")?.text;
  if (inMemory && typeof values.db === "string") throw new UsageError("--db and --in-memory: choose one");
  const logFormatSetting = get("log-format");
  const logFormat = logFormatSetting?.text ?? "json";
  if (logFormat !== "json" && logFormat !== "pretty") throw new UsageError(`${logFormatSetting?.source}: expected json or pretty, got "${logFormat}"`);
  const logLevelSetting = get("log-level");
  const logLevel = logLevelSetting?.text ?? "info";
  if (!(logLevels as readonly string[]).includes(logLevel)) {
    throw new UsageError(`${logLevelSetting?.source}: expected one of ${logLevels.join(", ")}, got "${logLevel}"`);
  }

  const burstSeconds = parsePositive(get("burst-seconds")) ?? 2;
  const rate = (perSecond: number | undefined) => (perSecond === undefined ? undefined : { perSecond, burst: perSecond * burstSeconds });
  const rates = (messages: number | undefined, bytes: number | undefined) =>
    messages === undefined && bytes === undefined
      ? undefined
      : { ...(messages === undefined ? {} : { messages: rate(messages) }), ...(bytes === undefined ? {} : { bytes: rate(bytes) }) };
  const bans = [...(values.ban ?? []), ...(env.COSYNC_BANS ?? "").split(",")].map((id) => id.trim()).filter((id) => id !== "");
  for (const id of bans) if (!/^(co_z|sealer_z)/.test(id)) throw new UsageError(`--ban: expected an account id (co_z…) or agent id (sealer_z…/signer_z…), got "${id}"`);

  const limits: Record<string, unknown> = {
    maxConnections: parseCount(get("max-connections"), 1),
    maxFrameBytes: parseSize(get("max-frame-bytes")),
    maxMessageBytes: parseSize(get("max-message-bytes")),
    connection: rates(parsePositive(get("conn-messages-per-second")), parseSize(get("conn-bytes-per-second"))),
    account: rates(
      parsePositive(get("account-messages-per-second")),
      parseSize(get("account-bytes-per-second")),
    ),
    storageQuotaBytes: parseSize(get("quota-bytes")),
    bans: bans.length > 0 ? bans : undefined,
  };
  for (const key of Object.keys(limits)) if (limits[key] === undefined) delete limits[key];
  const frame = limits.maxFrameBytes as number | undefined;
  const message = limits.maxMessageBytes as number | undefined;
  if (frame !== undefined && message !== undefined && message > frame) {
    throw new UsageError(`--max-message-bytes (${message}) cannot exceed --max-frame-bytes (${frame})`);
  }

  return {
    ...(host === undefined ? {} : { host }),
    ...(port === undefined ? {} : { port }),
    ...(inMemory ? { inMemory: true } : db === undefined ? {} : { db }),
    log: { format: logFormat as LogFormat, level: logLevel as never },
    limits: limits as ServerLimits,
  };
}

