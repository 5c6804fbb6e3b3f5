import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { createMemoryStorage, type StorageAdapter } from "@cosync/core";
import type { StorageChoice } from "./server-options.js";

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
      await mkdir(dirname(file), { recursive: true });
      // Loaded on demand: a server on one kind of storage never loads the other's driver.
      const { openSqliteStorage } = await import("@cosync/storage-sqlite");
      return { storage: await openSqliteStorage({ file }), owned: true, description: `SQLite ${file}` };
    }
    case "postgres": {
      const { openPostgresStorage } = await import("@cosync/storage-postgres");
      return { storage: await openPostgresStorage({ url: choice.url }), owned: true, description: `PostgreSQL ${redactUrl(choice.url)}` };
    }
  }
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
