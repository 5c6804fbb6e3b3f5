import { createAccountNode, createMemoryStorage, isDeleteSessionId, type LocalNode, PermissionError, type StorageAdapter } from "@cosync/core";
import { expect, test, vi } from "vitest";
import { createTestNode, link, testCrypto } from "../helpers/nodes.js";

async function accountNode(name: string) {
  return createAccountNode({ crypto: await testCrypto(), storage: createMemoryStorage(), gc: false, name });
}

async function loaded(node: LocalNode, id: string) {
  expect((await node.load(id as never)).status).toBe("loaded");
}

test("deletion: an admin deletes a value; afterwards only the delete session syncs and is stored", async () => {
  const server = await createTestNode();
  const alice = await accountNode("Alice");
  const bob = await accountNode("Bob");
  link(alice, server, { names: { client: "alice", server: "server" } });
  const bobLink = link(bob, server, { names: { client: "bob", server: "server" } });
  const notices: unknown[] = [];
  bobLink.toServer.onNotice((notice) => notices.push(notice));
  await bob.syncManager.waitForAllSynced();
  await loaded(alice, bob.accountId as string);
  const group = alice.createGroup();
  group.addMember(bob.accountId as never, "writer");
  const map = group.createMap({ a: 1 });
  await alice.syncManager.waitForAllSynced();
  await loaded(bob, map.id);

  // A writer may not delete.
  expect(() => bob.deleteCoValue(map.id)).toThrow(PermissionError);

  // Bob goes offline and keeps writing while alice deletes the value.
  bobLink.serverPeer.channel.close();
  bob.getMap(map.id)?.set("offline", "write", "trusting");
  alice.deleteCoValue(map.id);
  await alice.syncManager.waitForAllSynced();
  const stored = await server.storage?.knownState(map.id);
  expect(Object.keys(stored?.sessions ?? {}).every(isDeleteSessionId)).toBe(true);
  expect(Object.keys(stored?.sessions ?? {})).toHaveLength(1);
  expect(await server.storage?.isDeleted(map.id)).toBe(true);

  // Bob reconnects: his offline write (signature verified) is not stored; he is told so with a
  // Deleted notice, his session is named in the "stop syncing" state so he stops resending it,
  // and he learns of the deletion.
  const again = link(bob, server, { names: { client: "bob", server: "server" } });
  again.toServer.onNotice((notice) => notices.push(notice));
  // His wait hears that the write cannot count.
  await expect(bob.syncManager.waitForAllSynced()).rejects.toThrow(/\(Deleted\): this value is deleted/);
  await vi.waitFor(() => expect(bob.peekEntry(map.id)?.deleted).toBe(true));
  expect(Object.keys((await server.storage?.knownState(map.id))?.sessions ?? {})).toHaveLength(1);
  expect(() => bob.getMap(map.id)?.set("late", "write")).toThrow(/deleted/);
  expect(notices).toEqual([{ error: expect.objectContaining({ code: "Deleted", id: map.id, session: bob.sessionId }) }]);
});

test("deletion: a forged delete session from a non-admin is refused with an explicit notice", async () => {
  const server = await createTestNode();
  const alice = await accountNode("Alice");
  const mallory = await accountNode("Mallory");
  link(alice, server, { names: { client: "alice", server: "server" } });
  const { toServer } = link(mallory, server, { names: { client: "mallory", server: "server" } });
  const notices: Array<{ error: { code: string; message: string } }> = [];
  toServer.onNotice((notice) => notices.push(notice as never));
  await mallory.syncManager.waitForAllSynced();
  await loaded(alice, mallory.accountId as string);
  const group = alice.createGroup();
  group.addMember(mallory.accountId as never, "writer");
  const map = group.createMap({ keep: "me" });
  await alice.syncManager.waitForAllSynced();
  await loaded(mallory, map.id);
  // Mallory bypasses her own node's check by writing the marker directly.
  const entry = mallory.peekEntry(map.id);
  if (entry === undefined) throw new Error("no entry");
  const { makeTrustingTransaction } = await import("@cosync/core");
  const sessionId = `${mallory.accountId}_session_d${(await testCrypto()).newDeleteSessionRandomPart()}$` as never;
  mallory.appendTransactionsAs(entry, sessionId, mallory.agentSecret, [makeTrustingTransaction([], Date.now(), { deleted: map.id })]);
  await vi.waitFor(() => expect(notices.length).toBeGreaterThan(0));
  expect(notices[0]?.error).toMatchObject({ code: "Forbidden" });
  expect(notices[0]?.error.message).toMatch(/NotAdmin/);
  expect(await server.storage?.isDeleted(map.id)).toBe(false);
  expect(server.getMap(map.id)?.header).toBeDefined();
});

test("deletion: a load that reads a value just before another node sharing the storage records its deletion keeps only the delete session", async () => {
  const shared = createMemoryStorage();
  const through = (overrides: Partial<StorageAdapter>) =>
    new Proxy(shared, {
      get: (target, key) => {
        if (key in overrides) return overrides[key as keyof StorageAdapter];
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  let racing: string | undefined;
  // The deleting node has not recorded the deletion yet when the other node reads the value, and
  // records it between that node's read of the log and its look at the tombstone.
  const first = await createTestNode({ storage: through({ markDeleted: async () => {} }) });
  const second = await createTestNode({
    storage: through({
      isDeleted: async (id) => {
        if (id === racing) await shared.markDeleted(id);
        return shared.isDeleted(id);
      },
    }),
  });
  const alice = await accountNode("Alice");
  link(alice, first, { names: { client: "alice", server: "first" } });
  const map = alice.createGroup().createMap({ secret: "shred me" });
  await alice.syncManager.waitForAllSynced();
  alice.deleteCoValue(map.id);
  await alice.syncManager.waitForAllSynced();
  expect(Object.keys((await shared.knownState(map.id))?.sessions ?? {}).some((id) => !isDeleteSessionId(id as never))).toBe(true);

  racing = map.id;
  await loaded(second, map.id);
  const entry = second.peekEntry(map.id);
  expect(entry?.deleted).toBe(true);
  expect([...(entry?.log?.sessions.keys() ?? [])]).toHaveLength(1);
  expect([...(entry?.log?.sessions.keys() ?? [])].every(isDeleteSessionId)).toBe(true);
});
