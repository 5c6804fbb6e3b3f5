// The server on PostgreSQL (selected by a postgres:// `db`), against TEST_PG_URL, a fresh database per file.
import { afterAll, beforeAll, expect, test } from "vitest";
import { createFreshDatabase, type FreshDatabase } from "../../storage-postgres/src/test-fixtures/fresh-database.js";
import { createTestNode, plainHeader, testCrypto } from "../../../tests/helpers/nodes.js";
import { startSyncServer } from "./start-sync-server.js";
import { bridgeNode } from "./test-fixtures/raw-client.js";

const skip = process.env.SKIP_PG === "1";
let db: FreshDatabase;
beforeAll(async () => {
  if (!skip) db = await createFreshDatabase();
});
afterAll(async () => {
  await db?.drop();
});

test.skipIf(skip)("server on postgres: syncs, is ready, and serves the same data after a restart", async () => {
  const quiet = { port: 0, db: db.url, log: { level: "silent" }, processMetrics: false } as const;
  const first = await startSyncServer(quiet);
  const ready = await fetch(`${first.url.replace("ws://", "http://")}/ready`);
  expect(await ready.json()).toEqual({ status: "ready" });
  const alice = await createTestNode();
  const bridged = await bridgeNode(alice, first.url);
  const value = alice.createCoValue(plainHeader(await testCrypto()));
  for (let i = 0; i < 50; i++) value.writeTrusting([i]);
  await value.waitForSync();
  await first.close();
  await bridged.close();

  await using second = await startSyncServer(quiet);
  const bob = await createTestNode();
  await using _b = await bridgeNode(bob, second.url);
  const loaded = await bob.load(value.id);
  expect(loaded.status === "loaded" && loaded.value.knownState()).toEqual(value.knownState());
});
