// A branch's start, as cojson's getValidTransactions applies it: the source's own transactions are
// filtered by where they really sit (a merged copy by its place, not its original's); what the
// source inherited from its own source comes unfiltered (limited by the source's start); and
// reopening a branch keeps its start.
import { expect, test } from "vitest";
import { namedAccountNode } from "../helpers/nodes.js";

test("a branch made before another branch was merged does not show the merged copies", async () => {
  const alice = await namedAccountNode("Alice");
  const list = alice.createGroup().createList();
  list.append("a");
  list.append("b");
  const first = list.createBranch("first");
  first.append("from-first");
  const second = list.createBranch("second");
  expect(second.asArray()).toEqual(["a", "b"]);
  first.mergeBranch();
  expect(list.asArray()).toEqual(["a", "b", "from-first"]);
  // `second` started before the merge: what was merged into the source after it is not in it.
  expect(second.asArray()).toEqual(["a", "b"]);
});

test("a branch of a branch reads all of the grand-source up to the first branch's start", async () => {
  const alice = await namedAccountNode("Alice");
  const map = alice.createGroup().createMap();
  for (const key of ["k1", "k2", "k3", "k4", "k5"]) map.set(key, key);
  const draft = map.createBranch("draft");
  draft.set("d", "draft");
  const nested = draft.createBranch("nested");
  expect(draft.toJSON()).toEqual({ k1: "k1", k2: "k2", k3: "k3", k4: "k4", k5: "k5", d: "draft" });
  expect(nested.toJSON()).toEqual(draft.toJSON());
});

test("reopening a branch this node holds keeps its start: the source's later edits stay out", async () => {
  const alice = await namedAccountNode("Alice");
  const map = alice.createGroup().createMap({ a: 1 });
  const draft = map.createBranch("draft");
  draft.set("d", 1);
  map.set("later", 2);
  const reopened = map.createBranch("draft");
  expect(reopened.id).toBe(draft.id);
  // No second `from`: a new one would move the start to now and pull in "later".
  expect(reopened.toJSON()).toEqual({ a: 1, d: 1 });
});
