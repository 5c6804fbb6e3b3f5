import type { LocalNode } from "@cosync/core";
import { expect, test, vi } from "vitest";
import { connect, createTestNode, plainHeader, testCrypto } from "../helpers/nodes.js";

async function setup() {
  const server = await createTestNode();
  const alice = await createTestNode();
  const bob = await createTestNode();
  connect(alice, server, { server: "server", client: "alice" });
  connect(bob, server, { server: "server", client: "bob" });
  return { server, alice, bob };
}

function changesOf(node: LocalNode, id: string) {
  const value = node.get(id as never);
  return value === undefined ? [] : [...value.transactions()].map((t) => (t.tx.privacy === "trusting" ? JSON.parse(t.tx.changes) : null));
}

test("sync: a value written by one client is acked by the server and loaded by another", async () => {
  const { server, alice, bob } = await setup();
  const crypto = await testCrypto();
  const value = alice.createCoValue(plainHeader(crypto));
  value.writeTrusting([{ op: "set", key: "a", value: 1 }]);
  value.writeTrusting([{ op: "set", key: "b", value: 2 }]);
  await value.waitForSync();
  expect(server.get(value.id)?.knownState()).toEqual(value.knownState());
  const loaded = await bob.load(value.id);
  expect(loaded.status).toBe("loaded");
  expect(changesOf(bob, value.id)).toEqual([[{ op: "set", key: "a", value: 1 }], [{ op: "set", key: "b", value: 2 }]]);
});

test("sync: edits flow both ways between subscribed clients", async () => {
  const { alice, bob } = await setup();
  const crypto = await testCrypto();
  const value = alice.createCoValue(plainHeader(crypto));
  value.writeTrusting(["from alice"]);
  await value.waitForSync();
  const loaded = await bob.load(value.id);
  if (loaded.status !== "loaded") throw new Error("bob could not load");
  loaded.value.writeTrusting(["from bob"]);
  await vi.waitFor(() => expect(changesOf(alice, value.id)).toHaveLength(2));
  value.writeTrusting(["again from alice"]);
  await vi.waitFor(() => expect(changesOf(bob, value.id)).toHaveLength(3));
  expect(alice.get(value.id)?.knownState()).toEqual(bob.get(value.id)?.knownState());
});

test("sync: loading a value nobody has reports unavailable", async () => {
  const { bob } = await setup();
  const crypto = await testCrypto();
  const id = bob.createCoValue(plainHeader(crypto)).id;
  const stranger = await createTestNode({ sync: { loadRetryDelayMs: 5 } });
  const server2 = await createTestNode();
  connect(stranger, server2);
  expect((await stranger.load(id)).status).toBe("unavailable");
});
