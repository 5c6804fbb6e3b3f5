// Branches between cosync and real cojson 0.20.19: cojson's merged copies and branches read by
// cosync, and cosync's branches and merges read by cojson.
import type { RawCoMap } from "cojson";
import { expect, test, vi } from "vitest";
import { cojsonAccount, cojsonGroupWithCosyncMember, cosyncAccount, cosyncGroupWithCojsonMember, cosyncServer, nextMillisecond } from "./mixed-peers.js";

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
  const { alice, bob, group } = await cosyncGroupWithCojsonMember(await cosyncServer());
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
