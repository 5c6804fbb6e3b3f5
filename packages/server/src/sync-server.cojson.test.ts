// Real cojson 0.20.19 clients (cojson-transport-ws over `ws`) syncing through a cosync server:
// the promise that Jazz apps work against `cosync serve`.
import { LocalNode as CojsonLocalNode, type RawCoMap } from "cojson";
import { createWebSocketPeer } from "cojson-transport-ws";
import { expect, test } from "vitest";
import { WebSocket } from "ws";
import { loadOracle } from "../../../tests/interop/oracle.js";
import { startSyncServer } from "./start-sync-server.js";

async function cojsonClient(url: string, name: string) {
  const crypto = await loadOracle();
  const websocket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    websocket.once("open", () => resolve());
    websocket.once("error", reject);
  });
  const peer = createWebSocketPeer({ id: "cosync-server", role: "server", websocket: websocket as never });
  const created = await CojsonLocalNode.withNewlyCreatedAccount({ creationProps: { name }, peers: [peer], crypto });
  return { ...created, websocket };
}

test("cojson clients: a group and a private map sync between two Jazz clients through the cosync server over WebSocket", async () => {
  await using server = await startSyncServer({ port: 0, inMemory: true, log: { level: "silent" }, processMetrics: false });
  const alice = await cojsonClient(server.url, "alice");
  const bob = await cojsonClient(server.url, "bob");
  try {
    const group = alice.node.createGroup();
    const map = group.createMap();
    map.set("hello", "world", "private");
    await map.core.waitForSync();
    const bobAccount = await alice.node.load(bob.accountID);
    if (bobAccount === "unavailable") throw new Error("alice could not load bob's account through the server");
    group.addMember(bobAccount, "writer");
    await group.core.waitForSync();

    const loaded = await bob.node.load(map.id);
    if (loaded === "unavailable") throw new Error("bob could not load the map");
    expect((loaded as RawCoMap).get("hello")).toBe("world");

    // The server stored ciphertext only.
    const stored = [...(server.node.get(map.id as never)?.transactions() ?? [])].map((t) => JSON.stringify(t.tx));
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.some((tx) => tx.includes("world"))).toBe(false);
  } finally {
    await alice.node.gracefulShutdown();
    await bob.node.gracefulShutdown();
    alice.websocket.terminate();
    bob.websocket.terminate();
  }
});
