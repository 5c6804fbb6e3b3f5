import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StorageError } from "@cosync/core";
import { createTestSessionLog, randomCoId, randomSessionId, runStorageConformance, testHeader } from "@cosync/testing";
import { expect, test } from "vitest";
import { openSqliteStorage } from "./open-sqlite-storage.js";

runStorageConformance("sqlite (file, synchronous=full)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cosync-sqlite-"));
  const file = join(dir, "db.sqlite");
  return {
    storage: await openSqliteStorage({ file }),
    reopen: () => openSqliteStorage({ file }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

runStorageConformance("sqlite (file, synchronous=normal)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cosync-sqlite-"));
  const file = join(dir, "db.sqlite");
  return {
    storage: await openSqliteStorage({ file, synchronous: "normal" }),
    reopen: () => openSqliteStorage({ file, synchronous: "normal" }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

test("sqlite: a :memory: database works for one adapter's lifetime", async () => {
  await using storage = await openSqliteStorage({ file: ":memory:" });
  const id = randomCoId();
  const log = createTestSessionLog(randomSessionId());
  expect((await storage.append({ id, header: testHeader(), sessions: { [log.sessionId]: log.piece(0, 3) } })).type).toBe("Stored");
  expect(await storage.knownState(id)).toEqual({ id, header: true, sessions: { [log.sessionId]: 3 } });
});

test("sqlite: a file that cannot be opened rejects with a StorageError carrying the cause", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cosync-sqlite-"));
  try {
    const failure = await openSqliteStorage({ file: join(dir, "missing-dir", "db.sqlite") }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StorageError);
    expect((failure as StorageError).cause).toBeInstanceOf(Error);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("sqlite: bad options are a TypeError naming the option", async () => {
  await expect(openSqliteStorage({ file: "" })).rejects.toThrow(/options\.file/);
  await expect(openSqliteStorage({ file: ":memory:", synchronous: "off" as "full" })).rejects.toThrow(/options\.synchronous/);
});
