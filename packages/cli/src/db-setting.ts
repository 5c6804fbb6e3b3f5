// What `--db` / COSYNC_DB may name. Anything else used to become a SQLite file of that name (a
// file called "mysql:" in the working directory), so it is refused before the server starts.
import { UsageError } from "./usage-error.js";

/** The forms `--db` takes, for error messages and the help text. */
export const supportedDbForms = "a SQLite file path (e.g. ./sync-db/storage.db) or a postgres:// or postgresql:// URL";

/** A `--db` value and where it came from (`--db` or `COSYNC_DB`). */
export interface DbSetting {
  readonly text: string;
  readonly source: string;
}

/** Returns the value to pass to the server; throws UsageError naming the source if it is not a supported form. */
export function checkDbSetting({ text, source }: DbSetting): string {
  const refuse = (why: string): never => {
    throw new UsageError(`${source}: "${redactPassword(text)}" is not a database cosync can use: ${why}; expected ${supportedDbForms}`);
  };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  if (text === ":memory:") {
    throw new UsageError(
      `${source}: ":memory:" would be a file named ":memory:"; for data kept in memory only, use --in-memory (COSYNC_IN_MEMORY=1); expected ${supportedDbForms}`,
    );
  }
  if (scheme === "postgres" || scheme === "postgresql") {
    if (!text.slice(scheme.length + 1).startsWith("//")) refuse(`a PostgreSQL URL starts with ${scheme}://`);
    return text;
  }
  // One letter before the colon is a Windows drive (C:\data\s.db), not a scheme.
  if (scheme !== undefined && scheme.length > 1 && text.slice(scheme.length + 1).startsWith("//")) refuse(`${scheme}:// is not supported`);
  return text;
}

/** `url` with its password, if any, replaced by `***` (error messages end up in terminals and log collectors). */
export function redactPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@]*@/i, "$1***@");
}
