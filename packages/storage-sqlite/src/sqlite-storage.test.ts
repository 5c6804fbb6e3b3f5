import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { StorageError } from "@cosync/core";
import { createTestSessionLog, randomCoId, randomSessionId, runStorageConformance, testHeader } from "@cosync/testing";
import { beforeAll, expect, test } from "vitest";
import { openSqliteStorage } from "./open-sqlite-storage.js";

// File databases write on a worker thread, which runs the compiled adapter (a worker cannot load
// TypeScript): build it first, so these tests never run a stale dist.
beforeAll(() => {
  const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
  const build = spawnSync("npx", ["tsc", "-b", "packages/storage-sqlite"], { cwd: repoRoot, encoding: "utf8" });
  if (build.status !== 0) console.warn(`tsc -b packages/storage-sqlite reported errors (dist still emitted):\n${build.stdout.slice(0, 2000)}`);
}, 120_000);

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

runStorageConformance("sqlite (file, synchronous=full, writes on the caller's thread)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cosync-sqlite-"));
  const file = join(dir, "db.sqlite");
  return {
    storage: await openSqliteStorage({ file, writer: "inline" }),
    reopen: () => openSqliteStorage({ file, writer: "inline" }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

test("sqlite: writes from the worker thread and from the caller's thread see each other, in order", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cosync-sqlite-"));
  const file = join(dir, "db.sqlite");
  try {
    const id = randomCoId();
    const log = createTestSessionLog(randomSessionId());
    {
      await using storage = await openSqliteStorage({ file });
      // Requested together, committed in request order: the append lands before the deletion erases it.
      const [appended, , deleted] = await Promise.all([
        storage.append({ id, header: testHeader(), sessions: { [log.sessionId]: log.piece(0, 3) } }),
        storage.markUnsynced([{ id, peerId: "server" }]),
        storage.markDeleted(id).then(() => storage.isDeleted(id)),
      ]);
      expect(appended.type).toBe("Stored");
      expect(deleted).toBe(true);
      expect(await storage.listUnsynced()).toEqual([{ id, peerId: "server" }]);
    }
    await using inline = await openSqliteStorage({ file, writer: "inline" });
    expect(await inline.isDeleted(id)).toBe(true);
    expect(await inline.knownState(id)).toEqual({ id, header: true, sessions: {} });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("sqlite: writes after close reject with a StorageError; close is idempotent", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cosync-sqlite-"));
  try {
    const storage = await openSqliteStorage({ file: join(dir, "db.sqlite") });
    const log = createTestSessionLog(randomSessionId());
    const pending = storage.append({ id: randomCoId(), header: testHeader(), sessions: { [log.sessionId]: log.piece(0, 2) } });
    await storage.close(); // commits what was requested before it
    expect((await pending).type).toBe("Stored");
    await expect(storage.markUnsynced([{ id: randomCoId(), peerId: "p" }])).rejects.toBeInstanceOf(StorageError);
    await storage.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
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
  await expect(openSqliteStorage({ file: ":memory:", writer: "thread" as "worker" })).rejects.toThrow(/options\.writer/);
  await expect(openSqliteStorage({ file: ":memory:", writer: "worker" })).rejects.toThrow(/options\.writer/);
});
