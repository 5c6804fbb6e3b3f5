// `--log-level trace`: one record per sync message in and out of each connection, saying what
// moved (action, value, per-session counts, size) and never what it says: transactions may be
// private even to the server's operator (they are often encrypted, but their metadata is not).

/** Logs one sync message of a connection; present only when trace logging is on. */
export type MessageTrace = (peerId: string, direction: "in" | "out", message: unknown, bytes: number) => void;

interface TraceCapableLogger {
  isLevelEnabled?(level: string): boolean;
  trace?(fields: object, message: string): void;
}

/**
 * A tracer if `logger` (pino, or anything with `isLevelEnabled` and `trace`) has trace enabled,
 * else undefined, so that a server not tracing pays one undefined check per message. The level
 * is read once, at start.
 */
export function createMessageTrace(logger: object): MessageTrace | undefined {
  const capable = logger as TraceCapableLogger;
  if (typeof capable.isLevelEnabled !== "function" || typeof capable.trace !== "function") return undefined;
  if (!capable.isLevelEnabled("trace")) return undefined;
  const trace = capable.trace.bind(logger);
  return (peerId, direction, message, bytes) => trace({ peer: peerId, direction, ...describeMessage(message), bytes }, "sync message");
}

// A value can have thousands of sessions; a trace line lists this many and counts the rest.
const MAX_SESSIONS_LISTED = 8;

/**
 * What a trace record says about a message: action, id, whether it carries (or knows) the header,
 * and per session the transaction count known (load, known) or sent (content).
 */
export function describeMessage(message: unknown): Record<string, unknown> {
  if (message === null || typeof message !== "object") return { action: "invalid" };
  const { action, id } = message as { action?: unknown; id?: unknown };
  const fields: Record<string, unknown> = { action: typeof action === "string" ? action : "unknown" };
  if (typeof id === "string") fields.id = id;
  if (action === "content") {
    const content = message as { header?: unknown; new?: unknown };
    fields.header = content.header !== undefined;
    Object.assign(fields, listSessions(content.new, (piece) => countOf((piece as { newTransactions?: unknown } | null)?.newTransactions)));
  } else if (action === "load" || action === "known") {
    const known = message as { header?: unknown; sessions?: unknown };
    fields.header = known.header === true;
    Object.assign(fields, listSessions(known.sessions, (count) => (typeof count === "number" ? count : undefined)));
  }
  return fields;
}

function listSessions(sessions: unknown, countOfEntry: (entry: unknown) => number | undefined): Record<string, unknown> {
  if (sessions === null || typeof sessions !== "object") return {};
  const listed: Record<string, number | undefined> = {};
  let total = 0;
  for (const [sessionId, entry] of Object.entries(sessions)) {
    if (++total <= MAX_SESSIONS_LISTED) listed[sessionId] = countOfEntry(entry);
  }
  return total > MAX_SESSIONS_LISTED ? { sessions: listed, sessionCount: total } : { sessions: listed };
}

function countOf(list: unknown): number | undefined {
  return Array.isArray(list) ? list.length : undefined;
}
