import { createTestClock, type CoId } from "@cosync/core";
import { expect, test, vi } from "vitest";
import { connect, createAccountNode, createTestNode, plainHeader, testCrypto } from "../helpers/nodes.js";

test("gc: 10,000 idle values leave memory after the idle time; values with listeners stay; load brings them back", async () => {
  const clock = createTestClock();
  // The node that collects is a server: its values arrive from a client and are acked.
  const node = await createTestNode({ clock, gc: { intervalMs: 60_000, idleMs: 5 * 60_000 } });
  const client = await createTestNode();
  connect(client, node, { server: "server", client: "client" });
  const crypto = await testCrypto();
  const ids: CoId[] = [];
  for (let i = 0; i < 10_000; i++) {
    const value = client.createCoValue(plainHeader(crypto));
    value.writeTrusting([{ i }]);
    ids.push(value.id);
  }
  await client.syncManager.waitForAllSynced();
  const watched = ids.slice(0, 10);
  for (const id of watched) node.get(id)?.subscribe(() => {});
  await Promise.all(ids.map((id) => node.peekEntry(id)?.storageTail));

  clock.advance(4 * 60_000); // timers fire, but nothing is idle for 5 minutes yet
  expect(ids.filter((id) => node.peekEntry(id)?.log !== undefined)).toHaveLength(10_000);

  clock.advance(2 * 60_000); // the 6-minute tick finds everything idle
  const inMemory = ids.filter((id) => node.peekEntry(id)?.log !== undefined);
  expect(inMemory).toEqual(watched);
  expect(node.peekEntry(ids[500] as CoId)?.state).toBe("unloaded");

  const again = await node.load(ids[500] as CoId);
  if (again.status !== "loaded") throw new Error("could not reload");
  expect([...again.value.transactions()].map((t) => t.tx.privacy === "trusting" && JSON.parse(t.tx.changes))).toEqual([[{ i: 500 }]]);
});

test("gc: an unloaded value still answers a load exactly from its last known state", async () => {
  const clock = createTestClock();
  const server = await createTestNode({ clock, gc: { intervalMs: 1_000, idleMs: 1_000 } });
  const crypto = await testCrypto();
  const writer = await createTestNode({ clock });
  connect(writer, server, { server: "server", client: "writer" });
  const value = writer.createCoValue(plainHeader(crypto));
  value.writeTrusting(["x"]);
  await value.waitForSync();
  await server.peekEntry(value.id)?.storageTail;
  clock.advance(5_000);
  expect(server.peekEntry(value.id)?.state).toBe("unloaded");
  // A reader that has nothing gets the full value (reloaded from storage).
  const reader = await createTestNode({ clock });
  connect(reader, server, { server: "server", client: "reader" });
  const loaded = await reader.load(value.id);
  expect(loaded.status).toBe("loaded");
  expect(reader.get(value.id)?.knownState()).toEqual(value.knownState());
});

test("gc: values with unsynced changes are never unloaded", async () => {
  const clock = createTestClock();
  const node = await createTestNode({ clock, gc: { intervalMs: 1_000, idleMs: 1_000 } });
  const crypto = await testCrypto();
  const lonely = await createTestNode();
  connect(node, lonely, { server: "never-acks", client: "node" });
  lonely.syncManager.peers.get("node")?.channel.close();
  const value = node.createCoValue(plainHeader(crypto));
  value.writeTrusting(["pending"]);
  await node.peekEntry(value.id)?.storageTail;
  clock.advance(10_000);
  expect(node.peekEntry(value.id)?.log).toBeDefined();
});

test("gc: groups and accounts a value in use depends on (transitively) stay loaded, so it stays readable and private", async () => {
  const { createAccountNode, createMemoryStorage } = await import("@cosync/core");
  const { link } = await import("../helpers/nodes.js");
  const crypto = await testCrypto();
  const clock = createTestClock(Date.now());
  const server = await createTestNode();
  const alice = createAccountNode({ crypto, storage: createMemoryStorage(), gc: false, name: "Alice" });
  const bob = createAccountNode({ crypto, storage: createMemoryStorage(), gc: { intervalMs: 1e9, idleMs: 1_000 }, clock, name: "Bob" });
  link(alice, server, { names: { client: "alice", server: "server" } });
  link(bob, server, { names: { client: "bob", server: "server" } });
  await Promise.all([alice, bob].map((node) => node.syncManager.waitForAllSynced()));
  const parent = alice.createGroup();
  expect((await alice.load(bob.accountId as CoId)).status).toBe("loaded");
  parent.addMember(bob.accountId as never, "writer");
  const child = alice.createGroup();
  child.extend(parent);
  const map = child.createMap({ secret: "s3cret" });
  await alice.syncManager.waitForAllSynced();
  expect((await bob.load(map.id)).status).toBe("loaded");
  bob.getMap(map.id)?.subscribe(() => {}); // the app watches the map
  await bob.syncManager.waitForAllSynced();

  clock.advance(10_000);
  bob.collectGarbage();
  expect(bob.peekEntry(parent.id)?.log).toBeDefined(); // needed through child → parent
  bob.createGroup(); // any group change re-evaluates permissions
  expect(bob.getMap(map.id)?.get("secret")).toBe("s3cret");
  bob.getMap(map.id)?.set("after", "gc");
  const privacy = [...(bob.get(map.id)?.transactions() ?? [])].map((t) => t.tx.privacy);
  expect(privacy.every((p) => p === "private")).toBe(true);
});

test("subscribers: a listener that throws does not stop fan-out or acks", async () => {
  const server = await createTestNode();
  const writer = await createTestNode();
  const reader = await createTestNode();
  connect(writer, server, { server: "server", client: "writer" });
  connect(reader, server, { server: "server", client: "reader" });
  const value = writer.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting(["first"]);
  await value.waitForSync();
  expect((await reader.load(value.id)).status).toBe("loaded");
  server.get(value.id)?.subscribe(() => {
    throw new Error("a broken subscriber");
  });
  value.writeTrusting(["second"]);
  await value.waitForSync();
  await vi.waitFor(() => expect([...(reader.get(value.id)?.transactions() ?? [])]).toHaveLength(2));
});

test("gc: unloading a value read before also drops its decrypted transactions; reading it after a reload decrypts again", async () => {
  const clock = createTestClock();
  const node = await createAccountNode({ clock, gc: { intervalMs: 60_000, idleMs: 5 * 60_000 } });
  const server = await createTestNode();
  connect(node, server, { server: "server", client: "client" });
  const group = node.getGroup(node.createGroup().id);
  const map = group?.createMap({ secret: "s3cret" });
  if (map === undefined) throw new Error("no map");
  expect(map.get("secret")).toBe("s3cret");
  const held = node.permissions.decodedValueCount;
  await node.syncManager.waitForAllSynced();
  await Promise.all([...node.allEntries()].map((entry) => entry.storageTail));
  clock.advance(6 * 60_000);
  expect(node.peekEntry(map.id)?.state).toBe("unloaded");
  expect(node.permissions.decodedValueCount).toBeLessThan(held);
  expect((await node.load(map.id)).status).toBe("loaded");
  expect(node.getMap(map.id)?.get("secret")).toBe("s3cret");
});
