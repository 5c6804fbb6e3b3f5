// What an application hears when something cannot work: every trap a newcomer hit in issue 14
// (writes without permission, load traps, refusals, waitForSync without a server, writes after
// close, typed getters on the wrong type) answers at the call, with a reason.
import { coIdFromHash, createLocalNode, type LocalNode, PermissionError, SyncRefusedError, SyncTimeoutError } from "@cosync/core";
import { describe, expect, test } from "vitest";
import { accountsOnServer, createTestNode, link, namedAccountNode, testCrypto } from "../helpers/nodes.js";

async function sharedWith(role: "reader" | "writer") {
  const { server, accounts } = await accountsOnServer("Alice", "Bob");
  const [alice, bob] = accounts as [LocalNode, LocalNode];
  const group = alice.createGroup();
  const bobAccount = await alice.load(bob.accountId as never);
  expect(bobAccount.status).toBe("loaded");
  group.addMember(bob.accountId as never, role);
  const list = group.createList();
  list.append("from alice");
  const map = group.createMap({ title: "groceries" });
  await alice.syncManager.waitForAllSynced();
  const bobList = await bob.loadList(list.id);
  const bobMap = await bob.loadMap(map.id);
  const bobGroup = await bob.loadGroup(group.id);
  return { server, alice, bob, group, list, map, bobList, bobMap, bobGroup };
}

describe("writes a role does not allow are refused at the call", () => {
  test("a reader's append, set, delete, createMap and removeMember throw PermissionError naming the roles", async () => {
    const { alice, bobList, bobMap, bobGroup } = await sharedWith("reader");
    const before = bobList.asArray();
    expect(() => bobList.append("from bob")).toThrow(PermissionError);
    expect(() => bobList.append("from bob")).toThrow(/needs writer, manager, admin or writeOnly.*reader/);
    expect(() => bobMap.set("title", "hijacked")).toThrow(PermissionError);
    expect(() => bobList.delete(0)).toThrow(PermissionError);
    expect(() => bobGroup.createMap({ a: 1 })).toThrow(PermissionError);
    expect(() => bobGroup.removeMember(alice.accountId as never)).toThrow(PermissionError);
    expect(bobList.asArray()).toEqual(before); // nothing was written locally either
    expect(bobMap.get("title")).toBe("groceries");
  });

  test("a writer's writes still go through", async () => {
    const { alice, bobList, list } = await sharedWith("writer");
    bobList.append("from bob");
    await bobList.waitForSync();
    const seen = await alice.loadList(list.id);
    await expect.poll(() => seen.asArray()).toEqual(["from alice", "from bob"]);
  });
});

describe("load", () => {
  test("a malformed id is refused at once, naming what is wrong", async () => {
    const node = await namedAccountNode("Carol");
    await expect(node.load("co_not-base58!" as never)).rejects.toThrow(/load\(id\): .*CoValue id/);
    await expect(node.load("hello" as never)).rejects.toThrow(TypeError);
  });

  test("a load issued before the first server connects waits for it (bounded)", async () => {
    const { server, accounts } = await accountsOnServer("Alice");
    const [alice] = accounts as [LocalNode];
    const map = alice.createGroup().createMap({ n: 1 });
    await alice.syncManager.waitForAllSynced();
    // Alice's second device, started offline: its load waits for the connection instead of failing.
    const device = createLocalNode({ crypto: await testCrypto(), agentSecret: alice.agentSecret, accountId: alice.accountId, gc: false });
    const loading = device.load(map.id);
    link(device, server);
    expect((await loading).status).toBe("loaded");
  });

  test("with no server at all, load ends unavailable with the reason after the configured wait", async () => {
    const crypto = await testCrypto();
    const node = createLocalNode({ crypto, gc: false, sync: { waitForServerMs: 50 } });
    const outcome = await node.load(coIdFromHash(crypto.provider.randomBytes(32)));
    expect(outcome).toMatchObject({ status: "unavailable", reason: expect.stringMatching(/no server connected within 50 ms/) });
  });

  test("typed loads and getters refuse a value of another type", async () => {
    const { accounts } = await accountsOnServer("Alice");
    const [alice] = accounts as [LocalNode];
    const map = alice.createGroup().createMap({ n: 1 });
    expect(() => alice.getList(map.id)).toThrow(/is a comap, not a colist/);
    await expect(alice.loadList(map.id)).rejects.toThrow(/is a comap, not a colist/);
    expect((await alice.loadMap(map.id)).get("n")).toBe(1);
  });

  test("a typed load of a value no one has rejects with the reason", async () => {
    const crypto = await testCrypto();
    const node = createLocalNode({ crypto, gc: false, sync: { waitForServerMs: 0 } });
    const id = coIdFromHash(crypto.provider.randomBytes(32));
    await expect(node.loadMap(id)).rejects.toThrow(`${id} is unavailable: no server is connected`);
  });
});

describe("sync outcomes reach the application", () => {
  test("waitForSync({ timeoutMs }) rejects when no server acknowledges in time", async () => {
    const node = await namedAccountNode("Dave");
    const map = node.createGroup().createMap({ a: 1 });
    await expect(map.waitForSync({ timeoutMs: 30 })).rejects.toThrow(SyncTimeoutError);
    await expect(map.waitForSync({ timeoutMs: 30 })).rejects.toThrow(/not acknowledged by a server within 30 ms/);
  });

  test("a server's refusal rejects waitForSync and reaches onRefusal listeners", async () => {
    const server = await createTestNode({
      sync: {
        admitContent: (_peer, request) =>
          request.kind === "session" && request.transactions > 0 && request.bytes > 1500
            ? { ok: false, code: "QuotaExceeded", message: "storage quota of 1500 bytes exceeded" }
            : { ok: true },
      },
    });
    const node = await namedAccountNode("Erin");
    const refusals: unknown[] = [];
    node.syncManager.onRefusal((refusal) => refusals.push(refusal));
    link(node, server);
    await node.syncManager.waitForAllSynced();
    const map = node.createGroup().createMap({ big: "x".repeat(2000) });
    const error = await map.waitForSync().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SyncRefusedError);
    expect((error as SyncRefusedError).code).toBe("QuotaExceeded");
    expect((error as Error).message).toMatch(/refused .*QuotaExceeded.*quota of 1500 bytes/);
    expect(refusals).toContainEqual(expect.objectContaining({ code: "QuotaExceeded", id: map.id, peerId: "server" }));
  });
});

describe("a closed node", () => {
  test("refuses writes, creates and loads with a clear error", async () => {
    const node = await namedAccountNode("Frank");
    const group = node.createGroup();
    const map = group.createMap({ a: 1 });
    await node.close();
    expect(() => map.set("a", 2)).toThrow(/node is closed/);
    expect(() => node.createGroup()).toThrow(/node is closed/);
    await expect(node.load(map.id)).rejects.toThrow(/node is closed/);
  });
});
