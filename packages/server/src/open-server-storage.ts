import { mkdir, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { createMemoryStorage, type StorageAdapter, StorageError } from "@cosync/core";
import type { StorageChoice } from "./server-options.js";
import { lockSqliteForServer } from "./sqlite-server-lock.js";

/** Storage for a server, and whether the server owns it (and so closes it). */
export interface ServerStorage {
  readonly storage: StorageAdapter;
  readonly owned: boolean;
  /** For logs: where the data lives (a Postgres URL without its password). */
  readonly description: string;
}

/** Opens the storage the options chose; creates a SQLite file's directory if missing. */
export async function openServerStorage(choice: StorageChoice): Promise<ServerStorage> {
  switch (choice.kind) {
    case "given":
      return { storage: choice.storage, owned: false, description: "storage given by the caller" };
    case "memory":
      return { storage: createMemoryStorage(), owned: true, description: "in memory" };
    case "sqlite": {
      const file = resolve(choice.file);
      await prepareSqlitePath(file);
      // Loaded on demand: a server on one kind of storage never loads the other's driver.
      const { openSqliteStorage } = await import("@cosync/storage-sqlite");
      // Opened before the lock is taken, so a file that can't be opened says why in SQLite's terms.
      const storage = await openSqliteStorage({ file });
      let release: () => Promise<void>;
      try {
        release = await lockSqliteForServer(file);
      } catch (error) {
        await storage.close();
        throw error;
      }
      const close = storage.close.bind(storage);
      // Closing the storage ends this server's hold on the file.
      storage.close = () => close().finally(release);
      return { storage, owned: true, description: `SQLite ${file}` };
    }
    case "postgres": {
      const { openPostgresStorage } = await import("@cosync/storage-postgres");
      return { storage: await openPostgresStorage({ url: choice.url }), owned: true, description: `PostgreSQL ${redactUrl(choice.url)}` };
    }
  }
}

/**
 * Refuses a directory given as the database file and creates the file's directory, each failure
 * saying which path is wrong and how (SQLite itself would only say "unable to open database file").
 */
async function prepareSqlitePath(file: string): Promise<void> {
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory() === true) {
    throw new StorageError(`SQLite: ${file} is a directory, not a database file (give a file path inside it, e.g. ${join(file, "storage.db")})`);
  }
  const directory = dirname(file);
  try {
    await mkdir(directory, { recursive: true });
  } catch (error) {
    throw new StorageError(`SQLite: cannot create the directory ${directory} for ${file}: ${await mkdirProblem(error, directory)}`, { cause: error });
  }
}

// mkdir reports a file in the way as EEXIST or ENOTDIR naming only one path: find the file.
async function mkdirProblem(error: unknown, directory: string): Promise<string> {
  const code = (error as { code?: unknown }).code;
  if (code === "EEXIST" || code === "ENOTDIR") {
    for (let path = directory; path !== dirname(path); path = dirname(path)) {
      const found = await stat(path).catch(() => undefined);
      if (found !== undefined && !found.isDirectory()) return `${path} is a file`;
    }
  }
  if (code === "EACCES" || code === "EPERM") return "permission denied (may this user write there?)";
  return error instanceof Error ? error.message : String(error);
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres://…";
  }
}
