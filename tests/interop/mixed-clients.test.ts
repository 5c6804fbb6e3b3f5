// cosync and real cojson 0.20.19 clients sharing accounts, groups and private values, through a
// cosync server and through a cojson server (in process, plain-object peers).
import { createAccountNode, createMemoryStorage, type LocalNode, listDeleteChange } from "@cosync/core";
import { cojsonInternals, LocalNode as CojsonNode, type RawCoMap } from "cojson";
import { expect, test, vi } from "vitest";
import { createTestNode, testCrypto } from "../helpers/nodes.js";
import { loadOracle } from "./oracle.js";

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

async function cosyncServer(): Promise<Server> {
  const node = await createTestNode();
  return { addPeer: (peer) => node.syncManager.addPeer(peer as never) };
}

async function cojsonServer(): Promise<Server> {
  const crypto = await loadOracle();
  const secret = crypto.newRandomAgentSecret();
  const node = new CojsonNode(secret, crypto.newRandomSessionID(crypto.getAgentID(secret)), crypto);
  return { addPeer: (peer) => node.syncManager.addPeer(peer as never) };
}

/** Waits until the clock has moved on, so what is written next is ordered after what was written. */
async function nextMillisecond(): Promise<void> {
  const now = Date.now();
  await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(now), { interval: 1 });
}

/** A cojson account alice with a group in which the cosync account bob has `role`, both on `server`. */
async function cojsonGroupWithCosyncMember(server: Server, role: "reader" | "writer") {
  const alice = await cojsonAccount(server, "alice");
  const bob = await cosyncAccount(server, "bob");
  const bobAccount = await alice.node.load(bob.accountId as never);
  if (bobAccount === "unavailable") throw new Error("cojson could not load the cosync account");
  const group = alice.node.createGroup();
  group.addMember(bobAccount, role);
  return { alice, bob, bobAccount, group };
}

for (const [serverName, makeServer] of [
  ["cosync", cosyncServer],
  ["cojson", cojsonServer],
] as const) {
  test(`interop via a ${serverName} server: cojson's group and private map are read and edited by a cosync member`, async () => {
    const { bob, group } = await cojsonGroupWithCosyncMember(await makeServer(), "writer");
    const map = group.createMap();
    map.set("greeting", "hello bob", "private");
    await map.core.waitForSync();

    expect((await bob.load(map.id as never)).status).toBe("loaded");
    const bobsMap = bob.getMap(map.id as never);
    expect(bobsMap?.get("greeting")).toBe("hello bob");
    expect(bob.getGroup(group.id as never)?.roleOf(bob.accountId as never)).toBe("writer");
    bobsMap?.set("answer", "hi alice");
    await bob.syncManager.waitForAllSynced();
    await vi.waitFor(() => expect((map.core.getCurrentContent() as RawCoMap).get("answer")).toBe("hi alice"));
  });

  test(`interop via a ${serverName} server: a cosync group with a cojson member, private writes both ways, a streamed value`, async () => {
    const server = await makeServer();
    const alice = await cosyncAccount(server, "alice");
    const bob = await cojsonAccount(server, "bob");
    await bob.node.syncManager.waitForAllCoValuesSync();
    expect((await alice.load(bob.accountID as never)).status).toBe("loaded");
    const group = alice.createGroup();
    group.addMember(bob.accountID as never, "writer");
    const map = group.createMap({ greeting: "hello from cosync" });
    const big = "z".repeat(1000);
    const stream = group.createStream();
    for (let i = 0; i < 250; i++) stream.push({ i, big });
    await alice.syncManager.waitForAllSynced();

    const loaded = await bob.node.load(map.id as never);
    if (loaded === "unavailable") throw new Error("cojson could not load the cosync map");
    expect((loaded as RawCoMap).get("greeting")).toBe("hello from cosync");
    (loaded as RawCoMap).set("answer", "hello from cojson", "private");
    await vi.waitFor(() => expect(map.get("answer")).toBe("hello from cojson"));

    const loadedStream = await bob.node.load(stream.id as never);
    if (loadedStream === "unavailable") throw new Error("cojson could not load the cosync stream");
    await vi.waitFor(() => expect(Object.values(loadedStream.core.knownState().sessions)[0]).toBe(250));
    const items = (loadedStream as unknown as { items: Record<string, Array<{ value: { i: number } }>> }).items;
    expect(Object.values(items)[0]?.map((item) => item.value.i)).toEqual(Array.from({ length: 250 }, (_, i) => i));
  });
}

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

test("branches merged by cojson (meta mi/s/t/b): cosync reads the merged list and map as cojson does and appends after merged items", async () => {
  const server = await cosyncServer();
  const alice = await cojsonAccount(server, "alice");
  const carol = await cosyncAccount(server, "carol");
  const group = alice.node.createGroup();
  group.addMember("everyone", "writer");
  type CojsonList = RawCoMap & { append(item: unknown, after?: number, privacy?: string): void; asArray(): unknown[] };
  const list = group.createList(["a", "b"]) as unknown as CojsonList;
  const map = group.createMap();
  map.set("title", "main", "private");
  // cojson orders equal-millisecond items by arrival (replicas may differ): keep them apart.
  await nextMillisecond();
  // In a branch: append after a source item, then after a branch item; set a map key.
  const branchList = list.core.createBranch("draft", group.id).getCurrentContent() as unknown as CojsonList;
  branchList.append("c", 1, "private");
  branchList.append("d", 2, "private");
  branchList.append("e", 0, "private");
  const branchMap = map.core.createBranch("draft", group.id).getCurrentContent() as RawCoMap;
  branchMap.set("title", "from the branch", "private");
  await nextMillisecond();
  list.append("z", undefined, "private");
  branchList.core.mergeBranch();
  branchMap.core.mergeBranch();
  const cojsonList = () => (list.core.getCurrentContent() as unknown as CojsonList).asArray();
  // b's successors, newest first: z (main, later) before c (branch); e right after a.
  expect(cojsonList()).toEqual(["a", "e", "b", "z", "c", "d"]);
  await list.core.waitForSync();
  await map.core.waitForSync();

  expect((await carol.load(list.id as never)).status).toBe("loaded");
  expect((await carol.load(map.id as never)).status).toBe("loaded");
  const carolsList = carol.getList(list.id as never);
  await vi.waitFor(() => expect(carolsList?.asArray()).toEqual(cojsonList()));
  await vi.waitFor(() => expect(carol.getMap(map.id as never)?.get("title")).toBe((map.core.getCurrentContent() as RawCoMap).get("title")));
  expect(carol.getMap(map.id as never)?.get("title")).toBe("from the branch");

  // cosync anchors on a merged item (its op id carries the branch); cojson places it the same.
  const afterC = (carolsList?.asArray() ?? []).indexOf("c") + 1;
  carolsList?.insert(afterC, "after-c");
  expect(carolsList?.get(afterC)).toBe("after-c");
  await carol.syncManager.waitForAllSynced();
  await vi.waitFor(() => expect(cojsonList()).toEqual(carolsList?.asArray()));
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
  // A reader may write a trusting branch pointer; the set riding along must not count.
  bobsMap?.writeTrusting([{ op: "set", key: "title", value: "hacked" }], { branch: "draft", ownerId: group.id });
  bobsMap?.writeTrusting([{ op: "set", key: "title", value: "hacked too" }]);
  expect(bobsMap?.get("title")).toBe("alice's");
  await bob.syncManager.waitForAllSynced();
  await vi.waitFor(() => expect(Object.keys(map.core.knownState().sessions)).toHaveLength(2));
  expect((map.core.getCurrentContent() as RawCoMap).get("title")).toBe("alice's");
  expect((await carol.load(map.id as never)).status).toBe("loaded");
  await vi.waitFor(() => expect(Object.keys(carol.getMap(map.id as never)?.knownState().sessions ?? {})).toHaveLength(2));
  expect(carol.getMap(map.id as never)?.get("title")).toBe("alice's");
});

test("branches made by cojson are read by cosync as cojson reads them (source up to the branch start, plus the branch's own), and cosync edits in them", async () => {
  const server = await cosyncServer();
  const { alice, bob, group } = await cojsonGroupWithCosyncMember(server, "writer");
  type CojsonList = RawCoMap & { append(item: unknown, after?: number, privacy?: string): void; asArray(): unknown[] };
  const list = group.createList(["a", "b"]) as unknown as CojsonList;
  const map = group.createMap();
  map.set("title", "main", "private");
  await nextMillisecond(); // the branch's items are newer than "b"
  const branchList = list.core.createBranch("draft", group.id).getCurrentContent() as unknown as CojsonList;
  const branchMap = map.core.createBranch("draft", group.id).getCurrentContent() as RawCoMap;
  // After branching: the source moves on, the branch has edits of its own.
  list.append("main-only", undefined, "private");
  map.set("title", "main, later", "private");
  branchList.append("draft-1", 0, "private");
  branchMap.set("note", "only in the draft", "private");
  const cojsonBranchList = () => (alice.node.getCoValue(branchList.id).getCurrentContent() as unknown as CojsonList).asArray();
  expect(cojsonBranchList()).toEqual(["a", "draft-1", "b"]);
  await list.core.waitForSync();
  await branchList.core.waitForSync();
  await branchMap.core.waitForSync();

  expect((await bob.load(branchList.id as never)).status).toBe("loaded");
  expect((await bob.load(branchMap.id as never)).status).toBe("loaded");
  const bobsBranchList = bob.getList(branchList.id as never);
  await vi.waitFor(() => expect(bobsBranchList?.asArray()).toEqual(cojsonBranchList()));
  expect(bob.getMap(branchMap.id as never)?.toJSON()).toEqual((alice.node.getCoValue(branchMap.id).getCurrentContent() as RawCoMap).toJSON());
  expect(bob.getMap(branchMap.id as never)?.toJSON()).toEqual({ title: "main", note: "only in the draft" });

  // cosync edits the branch after a source item and after a branch item; cojson agrees, and
  // merging (by cojson) brings the edits into the source for both.
  bobsBranchList?.insert(2, "bob-after-draft-1");
  bobsBranchList?.append("bob-last");
  await bob.syncManager.waitForAllSynced();
  await vi.waitFor(() => expect(cojsonBranchList()).toEqual(bobsBranchList?.asArray()));
  alice.node.getCoValue(branchList.id).mergeBranch();
  await list.core.waitForSync();
  const cojsonList = () => (list.core.getCurrentContent() as unknown as CojsonList).asArray();
  expect((await bob.load(list.id as never)).status).toBe("loaded");
  await vi.waitFor(() => expect(bob.getList(list.id as never)?.asArray()).toEqual(cojsonList()));
  expect(cojsonList()).toEqual(expect.arrayContaining(["draft-1", "bob-after-draft-1", "bob-last", "main-only"]));
});

test("branches made and merged by cosync: cojson finds the same branch id, reads it and the merged source as cosync does", async () => {
  const server = await cosyncServer();
  const alice = await cosyncAccount(server, "alice");
  const bob = await cojsonAccount(server, "bob");
  await bob.node.syncManager.waitForAllCoValuesSync();
  expect((await alice.load(bob.accountID as never)).status).toBe("loaded");
  const group = alice.createGroup();
  group.addMember(bob.accountID as never, "writer");
  const list = group.createList();
  for (const item of ["a", "b"]) list.append(item);
  const map = group.createMap({ title: "main" });
  await nextMillisecond(); // the draft's items are newer than "b"
  const draft = list.createBranch("draft");
  const mapDraft = map.createBranch("draft");
  list.append("main-only");
  // cojson orders equal-millisecond items by arrival (replicas may differ): keep them apart.
  await nextMillisecond();
  draft.insert(1, "draft-1");
  draft.append("draft-last");
  mapDraft.set("title", "draft title");
  expect(draft.asArray()).toEqual(["a", "draft-1", "b", "draft-last"]);
  expect(list.asArray()).toEqual(["a", "b", "main-only"]);
  await alice.syncManager.waitForAllSynced();

  type CojsonList = { asArray(): unknown[]; core: { getBranch(name: string): { id: string } } };
  const bobsList = (await bob.node.load(list.id as never)) as unknown as CojsonList;
  // cojson derives the branch id from (source, name, owner): the same value cosync created.
  expect(bobsList.core.getBranch("draft").id).toBe(draft.id);
  const bobsDraft = (await bob.node.load(draft.id as never)) as unknown as CojsonList;
  expect(bobsDraft.asArray()).toEqual(draft.asArray());
  const bobsMapDraft = (await bob.node.load(mapDraft.id as never)) as RawCoMap;
  expect(bobsMapDraft.get("title")).toBe("draft title");

  const merged = draft.mergeBranch();
  expect(merged.id).toBe(list.id);
  mapDraft.mergeBranch();
  // b's successors, newest first: draft-last (made later, in the branch) before main-only.
  expect(list.asArray()).toEqual(["a", "draft-1", "b", "draft-last", "main-only"]);
  expect(map.get("title")).toBe("draft title");
  // Merging again copies nothing new.
  const before = list.knownState();
  draft.mergeBranch();
  expect(list.knownState()).toEqual(before);
  await alice.syncManager.waitForAllSynced();
  await vi.waitFor(() => expect((bob.node.getCoValue(list.id as never).getCurrentContent() as unknown as CojsonList).asArray()).toEqual(list.asArray()));
  await vi.waitFor(() => expect((bob.node.getCoValue(map.id as never).getCurrentContent() as RawCoMap).get("title")).toBe("draft title"));
});
