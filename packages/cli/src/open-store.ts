// Opens the store an operator command names with --db (or --from/--to): a SQLite file or a
// PostgreSQL URL. Commands that read refuse a SQLite path with no file rather than create an
// empty database and report it as empty.
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { CoId, StorageAdapter } from "@cosync/core";
import { checkDbSetting, redactPassword } from "./db-setting.js";
import { UsageError } from "./usage-error.js";

/** An open store, ready for the operator tools. */
export interface OperatorStore extends AsyncDisposable {
  readonly storage: StorageAdapter & { listIds: NonNullable<StorageAdapter["listIds"]> };
  readonly kind: "sqlite" | "postgres";
  /** For messages: the file, or the URL without its password. */
  readonly description: string;
  /** The resolved SQLite file, for backup. */
  readonly file?: string;
}

/** What `--db` (or a flag like it) said, before opening. */
export type StoreLocation = { readonly kind: "sqlite"; readonly file: string } | { readonly kind: "postgres"; readonly url: string };

/** Checks a --db-style value (throws UsageError naming `source`). */
export function storeLocation(text: string | undefined, source: string): StoreLocation {
  if (text === undefined || text === "") throw new UsageError(`${source} is required: ${source} <sqlite-file|postgres://…>`);
  const checked = checkDbSetting({ text, source });
  return /^postgres(ql)?:/i.test(checked) ? { kind: "postgres", url: checked } : { kind: "sqlite", file: resolve(checked) };
}

/** Whether anything (a file, a directory) is at `path`. */
export async function pathExists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

/** Opens `location`; `mustExist` refuses a SQLite path where no file is (a typo would read as an empty store). */
export async function openOperatorStore(location: StoreLocation, options: { readonly mustExist: boolean }): Promise<OperatorStore> {
  let storage: StorageAdapter;
  let description: string;
  if (location.kind === "sqlite") {
    const existing = await stat(location.file).catch(() => undefined);
    if (options.mustExist && existing === undefined) throw new OperatorError(`no SQLite database at ${location.file}`);
    if (existing?.isDirectory() === true) throw new OperatorError(`${location.file} is a directory, not a SQLite database file`);
    // Loaded on demand: a command on one kind of storage never loads the other's driver.
    const { openSqliteStorage } = await import("@cosync/storage-sqlite");
    storage = await openSqliteStorage({ file: location.file });
    description = `SQLite ${location.file}`;
  } else {
    const { openPostgresStorage } = await import("@cosync/storage-postgres");
    storage = await openPostgresStorage({ url: location.url });
    description = `PostgreSQL ${redactPassword(location.url)}`;
  }
  if (storage.listIds === undefined) {
    await storage.close();
    throw new OperatorError(`${description}: this storage cannot list its values`);
  }
  return {
    storage: storage as OperatorStore["storage"],
    kind: location.kind,
    description,
    ...(location.kind === "sqlite" ? { file: location.file } : {}),
    [Symbol.asyncDispose]: () => storage.close(),
  };
}

/** Ids of every stored CoValue, in byte-wise order, a page at a time. */
export async function* allIds(storage: OperatorStore["storage"], pageSize = 1_000): AsyncGenerator<CoId> {
  let after: CoId | undefined;
  for (;;) {
    const page = await storage.listIds(after, pageSize);
    yield* page;
    if (page.length < pageSize) return;
    after = page[page.length - 1];
  }
}

/** An expected failure of an operator command: printed as `cosync: <message>`, exit code 1. */
export class OperatorError extends Error {
  override readonly name = "OperatorError";
}
