// Under restrictDeletion cojson's RawCoList judges a transaction holding a `del` by its original
// author and time when it is a merged branch copy: a writer's delete does not pass by being merged
// by an admin — the same on cosync and on real cojson 0.20.19.
import { createAccountNode, createMemoryStorage, type LocalNode } from "@cosync/core";
import { cojsonInternals, LocalNode as CojsonNode } from "cojson";
import { expect, test, vi } from "vitest";
import { loadOracle } from "../interop/oracle.js";
import { createTestNode, testCrypto } from "../helpers/nodes.js";

type Server = { addPeer(peer: unknown): void };

function peersTo(server: Server, name: string) {
  const [serverAsSeenByClient, clientAsSeenByServer] = cojsonInternals.connectedPeers("server", name, {
    peer1role: "server",
    peer2role: "client",
  });
  server.addPeer(clientAsSeenByServer);
  return serverAsSeenByClient;
}

async function cosyncAccount(server: Server, name: string): Promise<LocalNode> {
  const node = createAccountNode({ crypto: await testCrypto(), storage: createMemoryStorage(), gc: false, name });
  node.syncManager.addPeer(peersTo(server, name) as never);
  await node.syncManager.waitForAllSynced();
  return node;
}

async function cojsonAccount(server: Server, name: string) {
  return CojsonNode.withNewlyCreatedAccount({ creationProps: { name }, peers: [peersTo(server, name)], crypto: await loadOracle() });
}

type CojsonList = {
  id: string;
  append(item: unknown, after?: number, privacy?: string): void;
  delete(index: number, privacy?: string): void;
  asArray(): unknown[];
  core: { createBranch(name: string, owner?: string): { getCurrentContent(): unknown }; mergeBranch(): unknown; waitForSync(): Promise<void> };
};

test("restrictDeletion: a writer's delete made in a branch and merged by an admin is ignored, by cojson and by cosync", async () => {
  const node = await createTestNode();
  const server: Server = { addPeer: (peer) => node.syncManager.addPeer(peer as never) };
  const alice = await cojsonAccount(server, "alice");
  const bob = await cojsonAccount(server, "bob");
  const carol = await cosyncAccount(server, "carol");
  await bob.node.syncManager.waitForAllCoValuesSync();
  const bobAccount = await alice.node.load(bob.accountID as never);
  if (bobAccount === "unavailable") throw new Error("no bob");
  const group = alice.node.createGroup();
  group.addMember(bobAccount, "writer");
  group.addMember("everyone", "reader");
  const list = group.createList(["a", "b"], undefined, "private", undefined, undefined, { restrictDeletion: true }) as unknown as CojsonList;
  await list.core.waitForSync();

  // bob (writer) deletes "a" in a branch (branches are not restricted), alice (admin) merges it.
  const bobsList = (await bob.node.load(list.id as never)) as unknown as CojsonList;
  const bobsBranch = bobsList.core.createBranch("draft", group.id).getCurrentContent() as CojsonList;
  bobsBranch.delete(0, "private");
  expect(bobsBranch.asArray()).toEqual(["b"]);
  await bobsBranch.core.waitForSync();
  await bobsList.core.waitForSync();
  const alicesBranch = (await alice.node.load(bobsBranch.id as never)) as unknown as CojsonList;
  await vi.waitFor(() => expect(alicesBranch.asArray()).toEqual(["b"]));
  alicesBranch.core.mergeBranch();
  const cojsonItems = () => (alice.node.getCoValue(list.id as never).getCurrentContent() as unknown as CojsonList).asArray();
  // cojson: the copy counts as bob's delete (the original author), a writer's: ignored.
  expect(cojsonItems()).toEqual(["a", "b"]);
  await list.core.waitForSync();

  expect((await carol.load(list.id as never)).status).toBe("loaded");
  const carolsList = carol.getList(list.id as never);
  await vi.waitFor(() => expect(carolsList?.knownState().sessions).toEqual(alice.node.getCoValue(list.id as never).knownState().sessions));
  expect(carolsList?.asArray()).toEqual(cojsonItems());
});
