import { type DestinationStream, type Level, type LevelWithSilent, type Logger, pino } from "pino";

/** How log lines look: one JSON object per line (for collectors), or short readable lines (for terminals). */
export type LogFormat = "json" | "pretty";

export interface LogOptions {
  readonly format?: LogFormat;
  readonly level?: LevelWithSilent;
  /** Where lines go. Default: standard output. */
  readonly destination?: { write(line: string): unknown };
}

export const logLevels: readonly LevelWithSilent[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Creates the server's pino logger. */
export function createServerLogger(options: LogOptions = {}): Logger {
  const format = options.format ?? "json";
  const level = options.level ?? "info";
  if (format !== "json" && format !== "pretty") throw new TypeError(`log.format: expected "json" or "pretty", got ${String(format)}`);
  if (!logLevels.includes(level)) throw new TypeError(`log.level: expected one of ${logLevels.join(", ")}, got ${String(level)}`);
  const out = options.destination ?? process.stdout;
  const destination: DestinationStream =
    format === "pretty" ? { write: (line: string) => void out.write(formatPretty(line)) } : { write: (line: string) => void out.write(line) };
  return pino({ level, base: { name: "cosync" } }, destination);
}

const levelNames: Record<number, Level> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };
const omitted = new Set(["level", "time", "msg", "pid", "hostname", "name"]);

/** Turns one pino JSON line into `12:00:00.123 WARN  message key=value …`. */
export function formatPretty(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof record.time === "number" ? new Date(record.time).toISOString().slice(11, 23) : "";
  const level = (levelNames[record.level as number] ?? String(record.level)).toUpperCase().padEnd(5);
  const fields: string[] = [];
  const message = typeof record.msg === "string" ? record.msg : "";
  for (const [key, value] of Object.entries(record)) {
    if (omitted.has(key)) continue;
    // "listening on ws://…" with url=ws://… after it says the same thing twice; JSON keeps the field.
    if (typeof value === "string" && value.length > 3 && message.includes(value)) continue;
    fields.push(`${key}=${formatValue(value)}`);
  }
  return `${time} ${level} ${message}${fields.length > 0 ? ` ${fields.join(" ")}` : ""}\n`;
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value !== null && typeof value === "object" && "message" in value && "type" in value) {
    // pino's serialized errors: show type and message, not the whole stack.
    const error = value as { type: unknown; message: unknown };
    return JSON.stringify(`${String(error.type)}: ${String(error.message)}`);
  }
  return JSON.stringify(value) ?? String(value);
}
