import { type CoId, createMemoryStorage, createMemoryStore, type StorageAdapter } from "@cosync/core";
import { expect, test, vi } from "vitest";
import { connect, createTestNode, plainHeader, testCrypto } from "../helpers/nodes.js";

async function restartScenario(wrapStorage: (storage: StorageAdapter) => StorageAdapter, writes = 1_100) {
  const store = createMemoryStore();
  const crypto = await testCrypto();
  const firstServer = await createTestNode({ storage: createMemoryStorage({ store }) });
  const writer = await createTestNode({ storage: false });
  const first = connect(writer, firstServer);
  const value = writer.createCoValue(plainHeader(crypto));
  for (let i = 0; i < writes; i++) value.writeTrusting([i]);
  await value.waitForSync();
  first.disconnect();
  await firstServer.close();
  const stored = await createMemoryStorage({ store }).summary(value.id as CoId);

  // A new server process on the same storage: the writer continues its session, and the new
  // server verifies the continuation on top of the stored chain.
  const secondServer = await createTestNode({ storage: wrapStorage(createMemoryStorage({ store })) });
  connect(writer, secondServer);
  value.writeTrusting(["after restart"]);
  await value.waitForSync();
  await vi.waitFor(async () => expect(await secondServer.storage?.knownState(value.id)).toEqual(value.knownState()));
  return { value, secondServer, storedHashStates: Object.values(stored?.sessions ?? {}).map((session) => session.hashState !== undefined) };
}

test("restart: a server resumes verifying a session from the stored hash-chain state", async () => {
  const { value, secondServer, storedHashStates } = await restartScenario((storage) => storage);
  expect(storedHashStates).toEqual([true]); // 1,100 transactions: long enough to keep its chain state
  expect(secondServer.get(value.id as CoId)?.knownState()).toEqual(value.knownState());
});

test("restart: a short session is stored without its chain state and re-hashed when loaded", async () => {
  const { value, secondServer, storedHashStates } = await restartScenario((storage) => storage, 20);
  expect(storedHashStates).toEqual([false]);
  expect(secondServer.get(value.id as CoId)?.knownState()).toEqual(value.knownState());
});

test("restart: an unreadable stored chain state falls back to re-hashing the session", async () => {
  // Storage whose saved chain states are garbage (e.g. written by another BLAKE3 build).
  const corrupt = (storage: StorageAdapter): StorageAdapter => {
    const wrapped = Object.create(null) as StorageAdapter;
    for (const key of ["knownState", "load", "append", "markUnsynced", "clearUnsynced", "listUnsynced", "markDeleted", "isDeleted", "close"] as const) {
      (wrapped as unknown as Record<string, unknown>)[key] = (storage[key] as (...args: unknown[]) => unknown).bind(storage);
    }
    wrapped[Symbol.asyncDispose] = () => storage.close();
    wrapped.summary = async (id: CoId) => {
      const summary = await storage.summary(id);
      if (summary === undefined) return undefined;
      const sessions = Object.fromEntries(
        Object.entries(summary.sessions).map(([sessionId, session]) => [sessionId, { ...session, hashState: new Uint8Array([1, 2, 3]) }]),
      );
      return { ...summary, sessions };
    };
    return wrapped;
  };
  const { value, secondServer } = await restartScenario(corrupt);
  expect(secondServer.get(value.id as CoId)?.knownState()).toEqual(value.knownState());
});

test("restart: a value a restarted client loads from its own storage is subscribed at the server again", async () => {
  const crypto = await testCrypto();
  const server = await createTestNode();
  const store = createMemoryStore();
  const first = await createTestNode({ storage: createMemoryStorage({ store }) });
  connect(first, server, { server: "server", client: "first" });
  const value = first.createCoValue(plainHeader(crypto));
  value.writeTrusting(["v1"]);
  await value.waitForSync();
  await first.close();

  const again = await createTestNode({ storage: createMemoryStorage({ store }) });
  connect(again, server, { server: "server", client: "again" });
  expect((await again.load(value.id)).status).toBe("loaded");
  const other = await createTestNode();
  connect(other, server, { server: "server", client: "other" });
  expect((await other.load(value.id)).status).toBe("loaded");
  other.get(value.id)?.writeTrusting(["v2"]);
  await other.syncManager.waitForAllSynced();
  await vi.waitFor(() => expect([...(again.get(value.id)?.transactions() ?? [])]).toHaveLength(2));
});
