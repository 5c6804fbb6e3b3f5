// Real cojson 0.20.19 client nodes syncing through a cosync node acting as the server, in process.
import { cojsonInternals, LocalNode as CojsonLocalNode } from "cojson";
import { expect, test } from "vitest";
import { createTestNode } from "../helpers/nodes.js";
import { loadOracle } from "./oracle.js";

async function cojsonClient(server: Awaited<ReturnType<typeof createTestNode>>, name: string) {
  const crypto = await loadOracle();
  const [serverAsSeenByClient, clientAsSeenByServer] = cojsonInternals.connectedPeers("cosync-server", name, {
    peer1role: "server",
    peer2role: "client",
  });
  server.syncManager.addPeer(clientAsSeenByServer as never);
  const created = await CojsonLocalNode.withNewlyCreatedAccount({ creationProps: { name }, peers: [serverAsSeenByClient], crypto });
  return { ...created, crypto };
}

test("interop: a cojson client's group and private map reach a second cojson client through a cosync server", async () => {
  const server = await createTestNode();
  const alice = await cojsonClient(server, "alice");
  const group = alice.node.createGroup();
  const map = group.createMap();
  map.set("hello", "world", "private");
  map.set("n", 1, "trusting");
  await map.core.waitForSync();

  const bob = await cojsonClient(server, "bob");
  const bobAccount = await alice.node.load(bob.accountID);
  if (bobAccount === "unavailable") throw new Error("alice could not load bob's account");
  group.addMember(bobAccount, "writer");
  await group.core.waitForSync();

  const loaded = await bob.node.load(map.id);
  if (loaded === "unavailable") throw new Error("bob could not load the map");
  expect(loaded.get("hello")).toBe("world");
  expect(loaded.get("n")).toBe(1);

  // And back: bob's private edit reaches alice through the server.
  loaded.set("reply", "hi alice", "private");
  await loaded.core.waitForSync();
  await new Promise<void>((resolve) => {
    const stop = map.core.subscribe(() => {
      if (map.core.getCurrentContent().get("reply") !== undefined) resolve();
    }, true);
    void stop;
  });
  expect((map.core.getCurrentContent() as typeof map).get("reply")).toBe("hi alice");
  // The server is blind: it stored ciphertext, not the plaintext.
  const stored = [...(server.get(map.id as never)?.transactions() ?? [])].map((t) => JSON.stringify(t.tx));
  expect(stored.some((tx) => tx.includes("world") || tx.includes("hi alice"))).toBe(false);
});
