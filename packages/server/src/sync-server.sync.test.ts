// The server end to end over real WebSockets: sync between clients, durable acks, shutdown.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloseCode } from "@cosync/core";
import { openSqliteStorage } from "@cosync/storage-sqlite";
import { connectWebSocket } from "@cosync/transport-ws";
import { expect, test, vi } from "vitest";
import { WebSocket } from "ws";
import { createAccountNode, createTestNode, plainHeader, testCrypto } from "../../../tests/helpers/nodes.js";
import { startSyncServer } from "./start-sync-server.js";
import { bridgeNode, RawClient } from "./test-fixtures/raw-client.js";

const quiet = { log: { level: "silent" }, processMetrics: false } as const;

test("server: a value written by one client is acknowledged after storage and loaded by another", async () => {
  await using server = await startSyncServer({ ...quiet, port: 0, inMemory: true });
  const alice = await createTestNode();
  const bob = await createTestNode();
  await using _a = await bridgeNode(alice, server.url);
  await using _b = await bridgeNode(bob, server.url);
  const value = alice.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting([{ op: "set", key: "a", value: 1 }]);
  value.writeTrusting([{ op: "set", key: "b", value: 2 }]);
  await value.waitForSync();
  expect(await server.node.storage?.knownState(value.id)).toEqual(value.knownState());

  const loaded = await bob.load(value.id);
  if (loaded.status !== "loaded") throw new Error("bob could not load the value");
  expect(loaded.value.knownState()).toEqual(value.knownState());

  // Bob is now subscribed: a later write reaches him through the server.
  const updated = new Promise<void>((resolve) => loaded.value.subscribe(resolve));
  value.writeTrusting([{ op: "set", key: "c", value: 3 }]);
  await updated;
  expect(loaded.value.knownState()).toEqual(value.knownState());
});

test("server: accounts' sessions verify and sync (the account value travels first)", async () => {
  await using server = await startSyncServer({ ...quiet, port: 0, inMemory: true });
  const alice = await createAccountNode();
  const bob = await createTestNode();
  await using _a = await bridgeNode(alice, server.url);
  await using _b = await bridgeNode(bob, server.url);
  const value = alice.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting(["signed by an account session"]);
  await value.waitForSync();
  expect(Object.keys(value.knownState().sessions)[0]?.startsWith(`${alice.accountId}_session_z`)).toBe(true);
  const loaded = await bob.load(value.id);
  expect(loaded.status === "loaded" && loaded.value.knownState()).toEqual(value.knownState());
});

test("server: a client using transport-ws's connectWebSocket syncs through it", async () => {
  await using server = await startSyncServer({ ...quiet, port: 0, inMemory: true });
  const alice = await createTestNode();
  const bob = await createTestNode();
  const toServerA = await connectWebSocket({ url: server.url, WebSocket: WebSocket as never });
  const toServerB = await connectWebSocket({ url: server.url, WebSocket: WebSocket as never });
  try {
    alice.syncManager.addPeer(toServerA);
    bob.syncManager.addPeer(toServerB);
    const value = alice.createCoValue(plainHeader(await testCrypto()));
    value.writeTrusting(["over connectWebSocket"]);
    await value.waitForSync();
    const loaded = await bob.load(value.id);
    expect(loaded.status === "loaded" && loaded.value.knownState()).toEqual(value.knownState());
  } finally {
    toServerA.close();
    toServerB.close();
  }
});

test("server: the server pings every connection (cojson clients close after 10 s of silence)", async () => {
  await using server = await startSyncServer({ ...quiet, port: 0, inMemory: true, pingIntervalMs: 20 });
  await using client = await RawClient.connect(server.url);
  await new Promise<void>((resolve) => client.ws.once("message", () => resolve()));
  expect(client.pings[0]).toMatchObject({ type: "ping", dc: "unknown" });
  expect(typeof client.pings[0]?.time).toBe("number");
});

test("server: close drains with 4503, flushes storage, and the data is there after a restart", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cosync-server-"));
  try {
    const file = join(dir, "nested", "s.db");
    const first = await startSyncServer({ ...quiet, port: 0, db: file });
    const alice = await createTestNode();
    const bridged = await bridgeNode(alice, first.url);
    const value = alice.createCoValue(plainHeader(await testCrypto()));
    for (let i = 0; i < 20; i++) value.writeTrusting([i]);
    await value.waitForSync();
    await first.close();
    expect(await bridged.raw.closed).toEqual({ code: CloseCode.ServerDraining, reason: "server draining" });
    // /ready refuses while draining is tested in the http tests; here the port is closed.
    await expect(RawClient.connect(first.url)).rejects.toThrow();

    await using second = await startSyncServer({ ...quiet, port: 0, db: file });
    const bob = await createTestNode();
    await using _b = await bridgeNode(bob, second.url);
    const loaded = await bob.load(value.id);
    expect(loaded.status === "loaded" && loaded.value.knownState()).toEqual(value.knownState());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("server: storage passed in stays the caller's (not closed by the server)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cosync-server-"));
  try {
    await using storage = await openSqliteStorage({ file: join(dir, "s.db") });
    const server = await startSyncServer({ ...quiet, port: 0, storage });
    const alice = await createTestNode();
    await using _a = await bridgeNode(alice, server.url);
    const value = alice.createCoValue(plainHeader(await testCrypto()));
    value.writeTrusting(["kept"]);
    await value.waitForSync();
    await server.close();
    expect(await storage.knownState(value.id)).toEqual(value.knownState());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("server: a client disconnecting mid-sync leaves the others syncing", async () => {
  await using server = await startSyncServer({ ...quiet, port: 0, inMemory: true });
  const alice = await createTestNode();
  const bob = await createTestNode();
  const a = await bridgeNode(alice, server.url);
  await using _b = await bridgeNode(bob, server.url);
  const value = alice.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting([1]);
  await value.waitForSync();
  await a.close();
  const bobValue = bob.createCoValue(plainHeader(await testCrypto()));
  bobValue.writeTrusting([2]);
  await bobValue.waitForSync();
  await vi.waitFor(() => expect(server.node.syncManager.peers.size).toBe(1));
});
