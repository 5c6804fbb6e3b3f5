// What went wrong reaching PostgreSQL, said so a newcomer knows what to fix: pg's own errors name
// neither the server they tried nor the way out, and WHATWG's "Invalid URL" says nothing at all.

/** Where a pool connects, as pg resolves it (URL, then PG* variables, then its defaults). */
export interface PostgresTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string | undefined;
  /** The user named in the URL; undefined when pg falls back to PGUSER or the OS user. */
  readonly urlUser: string | undefined;
}

/**
 * Why `url` is not a usable PostgreSQL URL, or undefined if it parses. Says which part is wrong:
 * a port that is not a number, or characters of a user name or password that must be percent-encoded.
 */
export function postgresUrlProblem(url: string): string | undefined {
  const shown = `invalid PostgreSQL URL "${redactPassword(url)}"`;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== "postgres" && scheme !== "postgresql") return `${shown}: expected it to start with postgres:// or postgresql://`;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const authority = url.slice(url.indexOf("://") + 3).split(/[/?#]/)[0] ?? "";
  const hostAndPort = authority.slice(authority.lastIndexOf("@") + 1);
  const port = /^(?:\[[^\]]*\]|[^:]*):(.*)$/.exec(hostAndPort)?.[1];
  // A user name or password holding / ? # ends the authority early, so judge the port only when the
  // authority is plausibly whole (no such character before the @).
  const wholeAuthority = !/[/?#]/.test(url.slice(url.indexOf("://") + 3, url.lastIndexOf("@") === -1 ? 0 : url.lastIndexOf("@")));
  if (wholeAuthority && port !== undefined && port !== "") {
    if (!/^\d+$/.test(port)) return `${shown}: port "${port}" is not a number`;
    if (Number(port) > 65_535) return `${shown}: port ${port} is above 65535`;
  }
  if (parsed === undefined || !wholeAuthority) {
    return `${shown}: not a valid URL (characters such as @ : / ? # in a user name or password must be percent-encoded, e.g. %40 for @, %23 for #)`;
  }
  return undefined;
}

/** A one-line explanation of a failure to connect to `target`, with a hint where one is obvious. */
export function describeConnectFailure(error: unknown, target: PostgresTarget): string {
  const where = `PostgreSQL at ${hostPort(target)}`;
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case "ECONNREFUSED":
      return `cannot connect to ${where} (is it running?)`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `cannot connect to ${where}: host "${target.host}" not found`;
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `cannot connect to ${where}: ${message}`;
    case "3D000":
      return `${where}: ${message} (create it: ${clientCommand("createdb", target)} ${target.database ?? "<name>"})`;
    case "28000":
      return /^role ".*" does not exist$/.test(message)
        ? `${where}: ${message} (check the user name in the URL, or create the role: createuser ${roleOf(message)})`
        : `${where}: ${message}`;
    case "28P01":
      return `${where}: ${message} (check the password in the URL)`;
    default:
      return `cannot connect to ${where}: ${message}`;
  }
}

/** `url` with its password, if any, replaced by `***`. */
export function redactPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@]*@/i, "$1***@");
}

function hostPort(target: PostgresTarget): string {
  // A Unix socket directory: pg connects to <dir>/.s.PGSQL.<port>.
  if (target.host.startsWith("/")) return `${target.host} (Unix socket, port ${target.port})`;
  return target.host.includes(":") ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}

// createdb connects as the OS user by default: name the URL's user and any non-default server.
function clientCommand(command: string, target: PostgresTarget): string {
  const local = ["localhost", "127.0.0.1", "::1"].includes(target.host) || target.host.startsWith("/");
  const flags = [
    ...(local ? [] : [`-h ${target.host}`]),
    ...(target.port === 5432 ? [] : [`-p ${target.port}`]),
    ...(target.urlUser === undefined ? [] : [`-U ${target.urlUser}`]),
  ];
  return [command, ...flags].join(" ");
}

function roleOf(message: string): string {
  return /^role "(.*)" does not exist$/.exec(message)?.[1] ?? "<name>";
}

// Node reports a refused "localhost" (tried as ::1 and 127.0.0.1) as an AggregateError whose
// own code may be missing: the first inner error's code is the one to go by.
function codeOf(error: unknown): string | undefined {
  if (error === null || typeof error !== "object") return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  const inner = (error as { errors?: unknown }).errors;
  return Array.isArray(inner) ? codeOf(inner[0]) : undefined;
}
