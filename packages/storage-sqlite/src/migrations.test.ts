import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StorageError } from "@cosync/core";
import { createTestSessionLog, randomCoId, randomSessionId, testHeader } from "@cosync/testing";
import { afterEach, beforeEach, expect, test } from "vitest";
import { openBetterSqlite3Driver } from "./better-sqlite3-driver.js";
import { migrateSqliteSchema, SQLITE_SCHEMA_VERSION } from "./migrations.js";
import { openSqliteStorage } from "./open-sqlite-storage.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cosync-sqlite-migrate-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function userVersion(file: string): number {
  const driver = openBetterSqlite3Driver(file);
  try {
    return driver.get<{ user_version: number }>("PRAGMA user_version")?.user_version ?? -1;
  } finally {
    driver.close();
  }
}

test("migrations: a fresh file is created at the latest schema version", async () => {
  const file = join(dir, "fresh.sqlite");
  await (await openSqliteStorage({ file })).close();
  expect(userVersion(file)).toBe(SQLITE_SCHEMA_VERSION);
  expect(SQLITE_SCHEMA_VERSION).toBeGreaterThanOrEqual(2);
});

test("migrations: a version-1 file with data is upgraded and keeps its data", async () => {
  const file = join(dir, "v1.sqlite");
  const id = randomCoId();
  const header = testHeader();
  const log = createTestSessionLog(randomSessionId());
  // Build the file the way a version-1 build left it: its schema, and rows it wrote.
  const old = openBetterSqlite3Driver(file);
  expect(migrateSqliteSchema(old, 1)).toBe(1);
  old.transaction(() => {
    old.run("INSERT INTO covalues (row_id, id, header) VALUES (1, ?, ?)", [id, JSON.stringify(header)]);
    old.run(
      "INSERT INTO sessions (row_id, covalue, session_id, count, last_signature, size_since_checkpoint, hash_state) VALUES (1, 1, ?, 3, ?, 0, NULL)",
      [log.sessionId, log.signatureAt(3)],
    );
    for (const [idx, tx] of log.txs(0, 3).entries()) old.run("INSERT INTO transactions (session, idx, tx) VALUES (1, ?, ?)", [idx, tx]);
  });
  old.close();
  expect(userVersion(file)).toBe(1);

  await using storage = await openSqliteStorage({ file });
  expect(await storage.knownState(id)).toEqual({ id, header: true, sessions: { [log.sessionId]: 3 } });
  expect((await storage.append({ id, sessions: { [log.sessionId]: log.piece(3, 5) } })).type).toBe("Stored");
  // Version 2's tables exist and work.
  await storage.markUnsynced([{ id, peerId: "peer" }]);
  expect(await storage.listUnsynced()).toEqual([{ id, peerId: "peer" }]);
  expect(await storage.isDeleted(id)).toBe(false);
  await storage.close();
  expect(userVersion(file)).toBe(SQLITE_SCHEMA_VERSION);
});

test("migrations: a file written by a newer schema is refused, not touched", async () => {
  const file = join(dir, "future.sqlite");
  const future = openBetterSqlite3Driver(file);
  future.run(`PRAGMA user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
  future.close();
  await expect(openSqliteStorage({ file })).rejects.toBeInstanceOf(StorageError);
  expect(userVersion(file)).toBe(SQLITE_SCHEMA_VERSION + 1);
});
