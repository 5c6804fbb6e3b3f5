// Graceful shutdown: what a client sent before close() is committed and acknowledged before its
// socket closes, and is there after a restart (real WebSockets, a real SQLite file).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloseCode, idForHeader, type StorageAdapter } from "@cosync/core";
import { openSqliteStorage } from "@cosync/storage-sqlite";
import { expect, test, vi } from "vitest";
import { createTestNode, plainHeader, testCrypto } from "../../../tests/helpers/nodes.js";
import { startSyncServer } from "./start-sync-server.js";
import * as kit from "./test-fixtures/attack-kit.js";
import { bridgeNode, RawClient } from "./test-fixtures/raw-client.js";

const quiet = { log: { level: "silent" }, processMetrics: false } as const;

/** A real storage whose appends wait until `release()`; `appending` resolves at the first append. */
function holdAppends(storage: StorageAdapter) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let started!: () => void;
  const appending = new Promise<void>((resolve) => {
    started = resolve;
  });
  const held: StorageAdapter = {
    knownState: (id) => storage.knownState(id),
    summary: (id) => storage.summary(id),
    load: (id, since) => storage.load(id, since),
    append: async (chunk) => {
      started();
      await released;
      return storage.append(chunk);
    },
    markUnsynced: (entries) => storage.markUnsynced(entries),
    clearUnsynced: (entries) => storage.clearUnsynced(entries),
    listUnsynced: () => storage.listUnsynced(),
    markDeleted: (id) => storage.markDeleted(id),
    isDeleted: (id) => storage.isDeleted(id),
    close: () => storage.close(),
    [Symbol.asyncDispose]: () => storage.close(),
  };
  return { held, appending, release };
}

test("shutdown: content whose append is in flight when close() starts is acknowledged before the socket closes, and kept", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cosync-shutdown-"));
  try {
    const file = join(dir, "s.db");
    const storage = await openSqliteStorage({ file });
    const { held, appending, release } = holdAppends(storage);
    const server = await startSyncServer({ ...quiet, port: 0, storage: held });
    const alice = await createTestNode();
    const bridged = await bridgeNode(alice, server.url);
    const value = alice.createCoValue(plainHeader(await testCrypto()));
    value.writeTrusting(["written just before shutdown"]);
    await appending;

    const closing = server.close();
    release();
    await closing;
    const closed = await bridged.raw.closed;
    expect(closed).toEqual({ code: CloseCode.ServerDraining, reason: "server draining" });
    // The ack arrived on the socket before the close frame (the raw client records frames in order).
    const acks = bridged.raw.entries.filter((entry) => entry.action === "known" && entry.id === value.id);
    expect(acks.at(-1)).toMatchObject({ sessions: value.knownState().sessions });
    await value.waitForSync();
    await storage.close();

    await using reopened = await openSqliteStorage({ file });
    expect(await reopened.knownState(value.id)).toEqual(value.knownState());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("shutdown: a drain that cannot finish gives up after drainTimeoutMs and still closes every socket with 4503", async () => {
  const storage = await openSqliteStorage({ file: ":memory:" });
  const { held, appending, release } = holdAppends(storage);
  const server = await startSyncServer({ ...quiet, port: 0, storage: held, drainTimeoutMs: 50 });
  const alice = await createTestNode();
  const bridged = await bridgeNode(alice, server.url);
  const value = alice.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting(["never committed before the deadline"]);
  await appending;
  const closing = server.close();
  expect(await bridged.raw.closed).toEqual({ code: CloseCode.ServerDraining, reason: "server draining" });
  // Nothing was acknowledged: the client keeps it as unsynced and resends it to the next server.
  expect(bridged.raw.entries.some((entry) => entry.action === "known" && entry.id === value.id && Object.keys(entry.sessions as object).length > 0)).toBe(false);
  release();
  await closing;
  await storage.close();
});

test("shutdown: storage that never finishes an append does not hang close(): it stops after drainTimeoutMs and says so", async () => {
  const storage = await openSqliteStorage({ file: ":memory:" });
  const { held, appending } = holdAppends(storage); // never released: a backend that stopped answering
  const errors: string[] = [];
  const logger = { child: () => logger, trace() {}, debug() {}, info() {}, warn() {}, fatal() {}, error: (_: unknown, message?: string) => void errors.push(message ?? "") };
  const server = await startSyncServer({ ...quiet, logger: logger as never, port: 0, storage: held, drainTimeoutMs: 50 });
  const alice = await createTestNode();
  const bridged = await bridgeNode(alice, server.url);
  alice.createCoValue(plainHeader(await testCrypto())).writeTrusting(["stuck"]);
  await appending;
  let closed = false;
  const closing = server.close().then(() => {
    closed = true;
  });
  // Bounded: the drain (50 ms) and the storage flush (50 ms) each give up; the test's own timeout
  // (60 s) would catch a hang.
  await closing;
  expect(closed).toBe(true);
  expect(errors.some((message) => message.includes("storage did not finish flushing"))).toBe(true);
  await bridged.close();
  await storage.close();
});

test("a connection whose messages were all handled at once is not counted as still receiving, and is not kept after it leaves", async () => {
  const server = await startSyncServer({ port: 0, inMemory: true, ...quiet });
  try {
    for (let round = 0; round < 3; round++) {
      const header = plainHeader(kit.crypto);
      const id = idForHeader(header, kit.blake3);
      const agent = kit.newAgent();
      const session = kit.sessionOf(kit.crypto.agentId(agent));
      const client = await RawClient.connect(server.url);
      client.send(kit.content(id, { [session]: kit.signedPiece(session, agent, [kit.tx()]) }, header));
      await client.waitFor((entry) => entry.action === "known" && entry.id === id, "the content's ack");
      // A correction is handled synchronously (the value is in memory): its answer is the resend.
      const before = client.entries.length;
      client.send({ action: "known", isCorrection: true, id, header: false, sessions: {} });
      await client.waitFor((entry) => entry.action === "content" && entry.id === id && client.entries.indexOf(entry) >= before, "the resend");
      expect(server.node.syncManager.receiving).toBe(0);
      await client.close();
    }
    await vi.waitFor(() => expect(server.node.syncManager.peers.size).toBe(0));
    expect(server.node.syncManager.receiving).toBe(0);
  } finally {
    await server.close();
  }
});
