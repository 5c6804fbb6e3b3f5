// SQLite writes run on a worker thread. If it dies, every write must fail explicitly (none left
// hanging, nothing acknowledged) and the server must stop reporting itself ready, although reads,
// on the main thread's connection, still work.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { openSqliteStorage } from "@cosync/storage-sqlite";
import { expect, test } from "vitest";
import { createTestNode, plainHeader, testCrypto } from "../../../tests/helpers/nodes.js";
import { startSyncServer } from "./start-sync-server.js";
import { bridgeNode } from "./test-fixtures/raw-client.js";

const quiet = { log: { level: "silent" }, processMetrics: false } as const;

/** The adapter's writer thread (a private field at runtime: the test kills it as a crash would). */
function writerThreadOf(storage: object): Worker {
  const writer = (storage as { writer?: { worker?: Worker } }).writer;
  return writer?.worker ?? expect.fail("no writer thread found");
}

test("after SQLite's writer thread died, writes fail explicitly and /ready answers 503 saying why", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cosync-writer-death-"));
  try {
    const storage = await openSqliteStorage({ file: join(dir, "s.db") });
    await using server = await startSyncServer({ ...quiet, port: 0, storage });
    const httpUrl = server.url.replace("ws://", "http://");
    expect((await fetch(`${httpUrl}/ready`)).status).toBe(200);

    await writerThreadOf(storage).terminate();

    const alice = await createTestNode();
    await using bridged = await bridgeNode(alice, server.url);
    const value = alice.createCoValue(plainHeader(await testCrypto()));
    value.writeTrusting(["never stored"]);
    // Explicit: the server refuses with StorageFailure (this part holds).
    await bridged.raw.notice("StorageFailure");
    expect(await storage.knownState(value.id)).toBeUndefined();

    // Reads still work, but no write can: not ready, and the reason is given.
    const ready = await fetch(`${httpUrl}/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { error: string }).error).toMatch(/storage cannot write: .*writer thread/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("an append in flight when SQLite's writer thread dies is rejected, not left hanging", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cosync-writer-death-"));
  try {
    const storage = await openSqliteStorage({ file: join(dir, "s.db") });
    const author = await createTestNode({ storage: false });
    const value = author.createCoValue(plainHeader(await testCrypto()));
    for (let i = 0; i < 2000; i++) value.writeTrusting([{ op: "set", key: `k${i}`, value: "y".repeat(200) }]);
    author.sealLocalWrites();
    const log = author.peekEntry(value.id)?.log ?? expect.fail("no log");
    const { chunkForStorage } = await import("../../core/src/node/storage-bridge.js");
    const chunk = chunkForStorage(log, new Map([...log.sessions.keys()].map((s) => [s, 0])), true);
    const appended = storage.append(chunk);
    await writerThreadOf(storage).terminate();
    const outcome = await Promise.race([
      appended.then(
        () => "resolved",
        (error: Error) => `rejected: ${error.message}`,
      ),
      new Promise((resolve) => setTimeout(() => resolve("hanging"), 3000)),
    ]);
    expect(outcome).not.toBe("hanging");
    await expect(storage.close()).resolves.toBeUndefined();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
