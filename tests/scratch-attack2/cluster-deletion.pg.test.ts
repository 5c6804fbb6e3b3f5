// Cluster: a value deleted through process A keeps being served in full (and cached) by process B
// that held it in memory: B's refresh from storage applies the delete session as trusted content
// but never marks the value deleted nor drops its other sessions.
import type { CoId } from "@cosync/core";
import { afterEach, expect, test, vi } from "vitest";
import { createFreshDatabase, type FreshDatabase } from "../../packages/storage-postgres/src/test-fixtures/fresh-database.js";
import { namedAccountNode } from "../helpers/nodes.js";
import { startSyncServer, type SyncServer } from "../../packages/server/src/start-sync-server.js";
import { bridgeNode, RawClient } from "../../packages/server/src/test-fixtures/raw-client.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fullLoad(server: SyncServer, id: CoId) {
  const reader = await RawClient.connect(server.url);
  cleanups.push(() => reader.close());
  reader.send({ action: "load", id, header: false, sessions: {} });
  await reader.waitFor((e) => e.id === id && (e.action === "done" || e.action === "known"), "the load answered", 10_000);
  return reader.entries.filter((e) => e.action === "content" && e.id === id).flatMap((e) => Object.keys(e.new as object));
}

test.skipIf(process.env.SKIP_PG === "1")("a deletion made through one cluster process is not honoured by another that holds the value", async () => {
  const db: FreshDatabase = await createFreshDatabase();
  cleanups.push(() => db.drop());
  const options = { port: 0, db: db.url, cluster: "postgres", log: { level: "silent" }, processMetrics: false } as const;
  const a = await startSyncServer(options);
  cleanups.push(() => a.close());
  const b = await startSyncServer(options);
  cleanups.push(() => b.close());

  const admin = await namedAccountNode("Admin");
  const bridge = await bridgeNode(admin, a.url);
  cleanups.push(() => bridge.close());
  const map = admin.createGroup().createMap();
  map.set("secret", "shred me", "trusting");
  await admin.syncManager.waitForAllSynced({ timeoutMs: 10_000 });

  // B loads the value (now in B's memory and in its full-content cache).
  const before = await fullLoad(b, map.id as CoId);
  expect(before.some((s) => !s.includes("_session_d"))).toBe(true);

  admin.deleteCoValue(map.id);
  await admin.syncManager.waitForAllSynced({ timeoutMs: 10_000 });
  expect(await a.node.storage?.isDeleted(map.id as CoId)).toBe(true);
  expect((await fullLoad(a, map.id as CoId)).every((s) => s.includes("_session_d"))).toBe(true); // A honours it

  // Wait until B has heard of the delete session through the bus.
  await vi.waitFor(() => expect([...(b.node.peekEntry(map.id as CoId)?.log?.sessions.keys() ?? [])].some((s) => s.includes("_session_d"))).toBe(true), { timeout: 10_000 });
  const fromB = await fullLoad(b, map.id as CoId);
  console.log(`B serves sessions after the deletion: ${fromB.map((s) => (s.includes("_session_d") ? "delete" : "CONTENT")).join(", ")}; B thinks deleted=${b.node.peekEntry(map.id as CoId)?.deleted}`);
  // Expected: B serves only delete sessions, as A does.
  expect(fromB.every((s) => s.includes("_session_d"))).toBe(true);
}, 60_000);
