// Mixed peers for interop tests: cosync and real cojson 0.20.19 accounts and servers connected
// in process (plain-object peers), and a cojson group with a cosync member.
import { createAccountNode, createMemoryStorage, type LocalNode } from "@cosync/core";
import { cojsonInternals, LocalNode as CojsonNode } from "cojson";
import { expect, vi } from "vitest";
import { createTestNode, testCrypto } from "../helpers/nodes.js";
import { loadOracle } from "./oracle.js";

export type Server = { addPeer(peer: unknown): void };

function peersTo(server: Server, name: string) {
  const [serverAsSeenByClient, clientAsSeenByServer] = cojsonInternals.connectedPeers("server", name, {
    peer1role: "server",
    peer2role: "client",
  });
  server.addPeer(clientAsSeenByServer);
  return serverAsSeenByClient;
}

export async function cosyncAccount(server: Server, name: string): Promise<LocalNode> {
  const node = createAccountNode({ crypto: await testCrypto(), storage: createMemoryStorage(), gc: false, name });
  node.syncManager.addPeer(peersTo(server, name) as never);
  await node.syncManager.waitForAllSynced();
  return node;
}

export async function cojsonAccount(server: Server, name: string) {
  return CojsonNode.withNewlyCreatedAccount({ creationProps: { name }, peers: [peersTo(server, name)], crypto: await loadOracle() });
}

export async function cosyncServer(): Promise<Server> {
  const node = await createTestNode();
  return { addPeer: (peer) => node.syncManager.addPeer(peer as never) };
}

export async function cojsonServer(): Promise<Server> {
  const crypto = await loadOracle();
  const secret = crypto.newRandomAgentSecret();
  const node = new CojsonNode(secret, crypto.newRandomSessionID(crypto.getAgentID(secret)), crypto);
  return { addPeer: (peer) => node.syncManager.addPeer(peer as never) };
}

/** Waits until the clock has moved on, so what is written next is ordered after what was written. */
export async function nextMillisecond(): Promise<void> {
  const now = Date.now();
  await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(now), { interval: 1 });
}

/** A cojson account alice with a group in which the cosync account bob has `role`, both on `server`. */
export async function cojsonGroupWithCosyncMember(server: Server, role: "reader" | "writer") {
  const alice = await cojsonAccount(server, "alice");
  const bob = await cosyncAccount(server, "bob");
  const bobAccount = await alice.node.load(bob.accountId as never);
  if (bobAccount === "unavailable") throw new Error("cojson could not load the cosync account");
  const group = alice.node.createGroup();
  group.addMember(bobAccount, role);
  return { alice, bob, bobAccount, group };
}

/** A cosync account alice with a group in which the cojson account bob is a writer, both on `server`. */
export async function cosyncGroupWithCojsonMember(server: Server) {
  const alice = await cosyncAccount(server, "alice");
  const bob = await cojsonAccount(server, "bob");
  await bob.node.syncManager.waitForAllCoValuesSync();
  expect((await alice.load(bob.accountID as never)).status).toBe("loaded");
  const group = alice.createGroup();
  group.addMember(bob.accountID as never, "writer");
  return { alice, bob, group };
}
