// Server processes sharing one PostgreSQL: a value deleted through one process is deleted on every
// other process that holds it in memory. Those learn of the delete session through the bus and
// re-read the value from storage; they must then serve (and cache, and forward) only delete
// sessions, as the deleting process does, instead of the content the deletion erased.
import type { CoId, LocalNode } from "@cosync/core";
import { isDeleteSessionId } from "@cosync/core";
import { afterEach, describe, expect, test, vi } from "vitest";
import { namedAccountNode } from "../../../../tests/helpers/nodes.js";
import { createFreshDatabase } from "../../../storage-postgres/src/test-fixtures/fresh-database.js";
import { startSyncServer, type SyncServer } from "../start-sync-server.js";
import { sharedNatsUrl } from "../test-fixtures/cluster-kit.js";
import { bridgeNode, RawClient } from "../test-fixtures/raw-client.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A raw client that loads `id` from `server` knowing nothing of it; stays subscribed. */
async function rawLoad(server: SyncServer, id: CoId): Promise<RawClient> {
  const reader = await RawClient.connect(server.url);
  cleanups.push(() => reader.close());
  reader.send({ action: "load", id, header: false, sessions: {} });
  await reader.waitFor((e) => e.id === id && (e.action === "done" || e.action === "known"), "the load answered", 10_000);
  return reader;
}

/** The sessions of every content message `reader` received for `id`, in order. */
function sessionsReceived(reader: RawClient, id: CoId): string[] {
  return reader.entries.filter((e) => e.action === "content" && e.id === id).flatMap((e) => Object.keys(e.new as object));
}

function sessionsHeld(node: LocalNode | SyncServer["node"], id: CoId): string[] {
  return [...(node.peekEntry(id)?.log?.sessions.keys() ?? [])];
}

describe.skipIf(process.env.SKIP_PG === "1").each([
  { bus: "nats", cluster: sharedNatsUrl },
  { bus: "postgres", cluster: "postgres" },
])("cluster over $bus", ({ cluster }) => {
  test("a deletion made through one process is honoured by another that holds the value", async () => {
    const db = await createFreshDatabase();
    cleanups.push(() => db.drop());
    const options = { port: 0, db: db.url, cluster, log: { level: "silent" }, processMetrics: false } as const;
    const a = await startSyncServer(options);
    cleanups.push(() => a.close());
    const b = await startSyncServer(options);
    cleanups.push(() => b.close());

    const admin = await namedAccountNode("Admin");
    const adminLink = await bridgeNode(admin, a.url);
    cleanups.push(() => adminLink.close());
    const map = admin.createGroup().createMap();
    map.set("secret", "shred me", "trusting");
    await admin.syncManager.waitForAllSynced({ timeoutMs: 10_000 });
    const id = map.id as CoId;

    // B holds the value: in memory, in its full-content cache, and with two subscribers.
    const rawSubscriber = await rawLoad(b, id);
    expect(sessionsReceived(rawSubscriber, id).some((s) => !isDeleteSessionId(s as never))).toBe(true);
    const reader = await namedAccountNode("Reader");
    const readerLink = await bridgeNode(reader, b.url);
    cleanups.push(() => readerLink.close());
    expect((await reader.load(id)).status).toBe("loaded");
    expect(reader.getMap(id)?.get("secret")).toBe("shred me");

    admin.deleteCoValue(id);
    await admin.syncManager.waitForAllSynced({ timeoutMs: 10_000 });
    await vi.waitFor(async () => expect(await a.node.storage?.isDeleted(id)).toBe(true), { timeout: 10_000 });

    // B hears of it through the bus and deletes the value in memory too.
    await vi.waitFor(() => expect(b.node.peekEntry(id)?.deleted).toBe(true), { timeout: 10_000 });
    expect(sessionsHeld(b.node, id).every((s) => isDeleteSessionId(s as never))).toBe(true);
    // Loads from B get only the delete session (not the cached content), as loads from A do.
    for (const server of [a, b]) {
      const served = sessionsReceived(await rawLoad(server, id), id);
      expect(served).toHaveLength(1);
      expect(served.every((s) => isDeleteSessionId(s as never))).toBe(true);
    }
    // B's subscribers were sent the delete session: the client node deleted the value as well.
    await vi.waitFor(() => expect(sessionsReceived(rawSubscriber, id).some((s) => isDeleteSessionId(s as never))).toBe(true), { timeout: 10_000 });
    await vi.waitFor(() => expect(reader.peekEntry(id)?.deleted).toBe(true), { timeout: 10_000 });
    expect(sessionsHeld(reader, id).every((s) => isDeleteSessionId(s as never))).toBe(true);
  });
});
