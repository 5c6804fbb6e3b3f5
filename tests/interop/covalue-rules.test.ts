// cojson's content rules beyond plain validity, checked against real cojson 0.20.19 with mixed
// peers: restrictDeletion (also on merged branch copies, judged by their original author),
// first-writer-wins init transactions, reader branch pointers.
import { listDeleteChange, PermissionError } from "@cosync/core";
import type { RawCoMap } from "cojson";
import { expect, test, vi } from "vitest";
import { cojsonAccount, cojsonGroupWithCosyncMember, cosyncAccount, cosyncServer } from "./mixed-peers.js";

test("restrictDeletion lists: a writer's deletes are ignored and a manager's count, the same on cojson and cosync", async () => {
  const { alice, bob, bobAccount, group } = await cojsonGroupWithCosyncMember(await cosyncServer(), "writer");
  // cojson's list, restricted: bob (writer, cosync) appends and tries to delete; alice (admin) deletes.
  const list = group.createList(["a", "b", "c"], undefined, "private", undefined, undefined, { restrictDeletion: true });
  await list.core.waitForSync();
  expect((await bob.load(list.id as never)).status).toBe("loaded");
  const bobsList = bob.getList(list.id as never);
  expect(bobsList?.asArray()).toEqual(["a", "b", "c"]);
  bobsList?.append("d");
  expect(() => bobsList?.delete(0)).toThrow(/restricts deletion to managers and admins.*your role is writer/);
  // Written anyway (as cojson's own delete() would): ignored on read, by cosync and by cojson.
  const key = bob.permissions.writeKeyFor(group.id as never);
  if (key === undefined) throw new Error("bob has no key");
  bobsList?.writePrivate([listDeleteChange(bobsList.content, 0) as never], key);
  expect(bobsList?.asArray()).toEqual(["a", "b", "c", "d"]);
  await bob.syncManager.waitForAllSynced();
  const cojsonItems = () => (list.core.getCurrentContent() as unknown as { asArray(): unknown[] }).asArray();
  await vi.waitFor(() => expect(cojsonItems()).toEqual(["a", "b", "c", "d"]));
  list.delete(1);
  await list.core.waitForSync();
  await vi.waitFor(() => expect(bobsList?.asArray()).toEqual(["a", "c", "d"]));
  expect(cojsonItems()).toEqual(["a", "c", "d"]);

  // cosync's restricted list, read by cojson: the same rule from the header cosync wrote.
  const aliceGroup = alice.node.createGroup();
  aliceGroup.addMember(bobAccount, "admin");
  await aliceGroup.core.waitForSync();
  expect((await bob.load(aliceGroup.id as never)).status).toBe("loaded");
  await vi.waitFor(() => expect(bob.getGroup(aliceGroup.id as never)?.roleOf(bob.accountId as never)).toBe("admin"));
  const restricted = bob.getGroup(aliceGroup.id as never)?.createList({ restrictDeletion: true });
  restricted?.append("x");
  restricted?.append("y");
  restricted?.delete(0);
  expect(restricted?.asArray()).toEqual(["y"]);
  expect(restricted?.header.ruleset).toEqual({ type: "ownedByGroup", group: aliceGroup.id, restrictDeletion: true });
  await bob.syncManager.waitForAllSynced();
  const loaded = await alice.node.load(restricted?.id as never);
  if (loaded === "unavailable") throw new Error("cojson could not load the cosync list");
  expect((loaded as unknown as { asArray(): unknown[] }).asArray()).toEqual(["y"]);
});

test("first-writer-wins init transactions (meta fww) written by cojson: cosync keeps the same winner, also when it arrives late", async () => {
  const server = await cosyncServer();
  const alice = await cojsonAccount(server, "alice");
  const bob = await cojsonAccount(server, "bob");
  const carol = await cosyncAccount(server, "carol");
  const group = alice.node.createGroup();
  group.addMember("everyone", "writer");
  const map = group.createMap();
  await map.core.waitForSync();
  const bobsMap = (await bob.node.load(map.id)) as RawCoMap;
  const earlier = Date.now();
  // The later init arrives first: cosync shows it, then the earlier one wins and replaces it.
  bobsMap.core.makeTransaction([{ op: "set", key: "version", value: "second" }], "trusting", { fww: "init" }, earlier + 100);
  await bobsMap.core.waitForSync();
  expect((await carol.load(map.id as never)).status).toBe("loaded");
  const carolsMap = carol.getMap(map.id as never);
  await vi.waitFor(() => expect(carolsMap?.get("version")).toBe("second"));
  map.core.makeTransaction([{ op: "set", key: "version", value: "first" }], "trusting", { fww: "init" }, earlier);
  await map.core.waitForSync();
  await vi.waitFor(() => expect(carolsMap?.get("version")).toBe("first"));
  await vi.waitFor(() => expect(bobsMap.get("version")).toBe("first"));

  // cojson's own scenario: items appended after a losing init transaction are preserved.
  const list = group.createList(["alice-init"], undefined, "trusting", undefined, { fww: "init" });
  await list.core.waitForSync();
  const bobsList = (await bob.node.load(list.id)) as unknown as {
    appendItems(items: unknown[], after: undefined, privacy: "trusting", meta?: object): void;
    asArray(): unknown[];
    core: { waitForSync(): Promise<void> };
  };
  bobsList.appendItems(["bob-init"], undefined, "trusting", { fww: "init" });
  bobsList.appendItems(["bob-update"], undefined, "trusting");
  await bobsList.core.waitForSync();
  expect(bobsList.asArray()).toEqual(["alice-init", "bob-update"]);
  expect((await carol.load(list.id as never)).status).toBe("loaded");
  await vi.waitFor(() => expect(carol.getList(list.id as never)?.asArray()).toEqual(["alice-init", "bob-update"]));
});

test("a reader's branch pointer counts only as the pointer: changes smuggled into it are ignored by cosync and cojson", async () => {
  const server = await cosyncServer();
  const { bob, group } = await cojsonGroupWithCosyncMember(server, "reader");
  const carol = await cosyncAccount(server, "carol");
  group.addMember("everyone", "reader");
  const map = group.createMap();
  map.set("title", "alice's", "trusting");
  await map.core.waitForSync();
  expect((await bob.load(map.id as never)).status).toBe("loaded");
  const bobsMap = bob.getMap(map.id as never);
  // A reader may write a trusting branch pointer; the set riding along must not count. A plain
  // write is refused at the call (it would not count either).
  bobsMap?.writeTrusting([{ op: "set", key: "title", value: "hacked" }], { branch: "draft", ownerId: group.id });
  expect(() => bobsMap?.writeTrusting([{ op: "set", key: "title", value: "hacked too" }])).toThrow(PermissionError);
  expect(bobsMap?.get("title")).toBe("alice's");
  await bob.syncManager.waitForAllSynced();
  await vi.waitFor(() => expect(Object.keys(map.core.knownState().sessions)).toHaveLength(2));
  expect((map.core.getCurrentContent() as RawCoMap).get("title")).toBe("alice's");
  expect((await carol.load(map.id as never)).status).toBe("loaded");
  await vi.waitFor(() => expect(Object.keys(carol.getMap(map.id as never)?.knownState().sessions ?? {})).toHaveLength(2));
  expect(carol.getMap(map.id as never)?.get("title")).toBe("alice's");
});

type CojsonBranchedList = {
  id: string;
  append(item: unknown, after?: number, privacy?: string): void;
  delete(index: number, privacy?: string): void;
  asArray(): unknown[];
  core: { createBranch(name: string, owner?: string): { getCurrentContent(): unknown }; mergeBranch(): unknown; waitForSync(): Promise<void> };
};

test("restrictDeletion: a writer's delete made in a branch and merged by an admin is ignored, by cojson and by cosync", async () => {
  const server = await cosyncServer();
  const alice = await cojsonAccount(server, "alice");
  const bob = await cojsonAccount(server, "bob");
  const carol = await cosyncAccount(server, "carol");
  await bob.node.syncManager.waitForAllCoValuesSync();
  const bobAccount = await alice.node.load(bob.accountID as never);
  if (bobAccount === "unavailable") throw new Error("no bob");
  const group = alice.node.createGroup();
  group.addMember(bobAccount, "writer");
  group.addMember("everyone", "reader");
  const list = group.createList(["a", "b"], undefined, "private", undefined, undefined, { restrictDeletion: true }) as unknown as CojsonBranchedList;
  await list.core.waitForSync();

  // bob (writer) deletes "a" in a branch (branches are not restricted), alice (admin) merges it.
  const bobsList = (await bob.node.load(list.id as never)) as unknown as CojsonBranchedList;
  const bobsBranch = bobsList.core.createBranch("draft", group.id).getCurrentContent() as CojsonBranchedList;
  bobsBranch.delete(0, "private");
  expect(bobsBranch.asArray()).toEqual(["b"]);
  await bobsBranch.core.waitForSync();
  await bobsList.core.waitForSync();
  const alicesBranch = (await alice.node.load(bobsBranch.id as never)) as unknown as CojsonBranchedList;
  await vi.waitFor(() => expect(alicesBranch.asArray()).toEqual(["b"]));
  alicesBranch.core.mergeBranch();
  const cojsonItems = () => (alice.node.getCoValue(list.id as never).getCurrentContent() as unknown as CojsonBranchedList).asArray();
  // cojson: the copy counts as bob's delete (the original author), a writer's: ignored.
  expect(cojsonItems()).toEqual(["a", "b"]);
  await list.core.waitForSync();

  expect((await carol.load(list.id as never)).status).toBe("loaded");
  const carolsList = carol.getList(list.id as never);
  await vi.waitFor(() => expect(carolsList?.knownState().sessions).toEqual(alice.node.getCoValue(list.id as never).knownState().sessions));
  expect(carolsList?.asArray()).toEqual(cojsonItems());
});
