// cosync client nodes syncing through a real cojson 0.20.19 node acting as the server, in process.
import type { LocalNode } from "@cosync/core";
import { cojsonInternals, LocalNode as CojsonLocalNode } from "cojson";
import { expect, test, vi } from "vitest";
import { createTestNode, plainHeader, testCrypto } from "../helpers/nodes.js";
import { loadOracle } from "./oracle.js";

async function cojsonServer() {
  const crypto = await loadOracle();
  const agentSecret = crypto.newRandomAgentSecret();
  return new CojsonLocalNode(agentSecret, crypto.newRandomSessionID(crypto.getAgentID(agentSecret)), crypto);
}

function connectTo(server: CojsonLocalNode, client: LocalNode, name: string) {
  const [serverAsSeenByClient, clientAsSeenByServer] = cojsonInternals.connectedPeers("cojson-server", name, {
    peer1role: "server",
    peer2role: "client",
  });
  server.syncManager.addPeer(clientAsSeenByServer);
  return client.syncManager.addPeer(serverAsSeenByClient as never);
}

/** A cojson server with cosync clients alice and bob connected to it, and a CoStream alice created. */
async function aliceAndBobThroughCojson() {
  const server = await cojsonServer();
  const alice = await createTestNode();
  const bob = await createTestNode();
  connectTo(server, alice, "alice");
  connectTo(server, bob, "bob");
  const value = alice.createCoValue(plainHeader(await testCrypto(), "costream"));
  return { server, bob, value };
}

test("interop: cosync clients sync a value through a cojson server, both ways", async () => {
  const { server, bob, value } = await aliceAndBobThroughCojson();
  for (let i = 0; i < 5; i++) value.writeTrusting([{ i }]);
  await value.waitForSync();
  // The cojson server verified and holds everything alice wrote.
  const onServer = server.getCoValue(value.id as never);
  expect(onServer.knownState().sessions).toEqual(value.knownState().sessions);

  const loaded = await bob.load(value.id);
  if (loaded.status !== "loaded") throw new Error("bob could not load through the cojson server");
  expect([...loaded.value.transactions()]).toHaveLength(5);
  loaded.value.writeTrusting([{ from: "bob" }]);
  await vi.waitFor(() => expect([...value.transactions()]).toHaveLength(6));
});

test("interop: a large value streams through a cojson server in pieces", async () => {
  const { bob, value } = await aliceAndBobThroughCojson();
  const big = "x".repeat(1000);
  for (let i = 0; i < 400; i++) value.writeTrusting([{ i, big }]);
  await value.waitForSync();
  const loaded = await bob.load(value.id);
  if (loaded.status !== "loaded") throw new Error("bob could not load the large value");
  await vi.waitFor(() => expect([...loaded.value.transactions()]).toHaveLength(400));
  expect(loaded.value.knownState()).toEqual(value.knownState());
});
