// Branches between cosync nodes: who may branch, a reader's branch in its own group, and what
// a second node reads of a branch and of the merged source. (Interop with cojson's branches:
// tests/interop/branches.test.ts.)
import { expect, test, vi } from "vitest";
import { accountsOnServer, createTestNode, link, namedAccountNode } from "../helpers/nodes.js";

test("branching is refused with a reason: no name, a value without an owner group, a reader without a group of its own", async () => {
  const alice = await namedAccountNode("Alice");
  const group = alice.createGroup();
  const map = group.createMap({ a: 1 });
  expect(() => map.createBranch("")).toThrow(/name: expected a non-empty branch name/);
  const unowned = alice.getMap(alice.createCoValue({ type: "comap", ruleset: { type: "unsafeAllowAll" }, meta: null, uniqueness: "x" }).id);
  expect(() => unowned?.createBranch("draft")).toThrow(/not owned by a group/);

  const server = await createTestNode();
  const bob = await namedAccountNode("Bob");
  link(alice, server, { names: { client: "alice", server: "server" } });
  link(bob, server, { names: { client: "bob", server: "server" } });
  await Promise.all([alice, bob].map((node) => node.syncManager.waitForAllSynced()));
  group.addMember("everyone", "reader");
  await alice.syncManager.waitForAllSynced();
  expect((await bob.load(map.id)).status).toBe("loaded");
  const bobsMap = bob.getMap(map.id);
  expect(() => bobsMap?.createBranch("draft")).toThrow(/your role is reader/);

  // A reader may branch into a group of its own; the pointer in the source is plain text.
  const bobsGroup = bob.createGroup();
  const draft = bobsMap?.createBranch("draft", { ownerId: bobsGroup.id });
  draft?.set("b", 2);
  expect(draft?.toJSON()).toEqual({ a: 1, b: 2 });
  expect(bobsMap?.toJSON()).toEqual({ a: 1 });
  const pointer = [...(bobsMap?.transactions() ?? [])].at(-1)?.tx;
  expect(pointer?.privacy).toBe("trusting");
});

test("a second node reads a branch (its source up to the start, plus its edits) and the merged source", async () => {
  const {
    accounts: [alice, bob],
  } = await accountsOnServer("Alice", "Bob");
  const group = alice.createGroup();
  group.addMember("everyone", "writer");
  const text = group.createPlainText("hello");
  const draft = text.createBranch("draft");
  draft.insertAfter(4, " world");
  text.insertAfter(0, "H");
  expect(draft.toString()).toBe("hello world");
  await alice.syncManager.waitForAllSynced();

  expect((await bob.load(draft.id)).status).toBe("loaded");
  await vi.waitFor(() => expect(bob.getPlainText(draft.id)?.toString()).toBe("hello world"));
  draft.mergeBranch();
  // "H" went in after the first grapheme in the source; " world" after "hello" in the branch.
  expect(text.toString()).toBe("hHello world");
  await alice.syncManager.waitForAllSynced();
  expect((await bob.load(text.id)).status).toBe("loaded");
  await vi.waitFor(() => expect(bob.getPlainText(text.id)?.toString()).toBe("hHello world"));
});

test("a branch's subscribers hear of its source's changes (a branch reads its source), and stop when unsubscribed", async () => {
  const alice = await namedAccountNode("Alice");
  const map = alice.createGroup().createMap({ a: 1 });
  const draft = map.createBranch("draft");
  let calls = 0;
  const unsubscribe = draft.subscribe(() => calls++);
  map.set("b", 2);
  expect(calls).toBe(1);
  draft.set("c", 3);
  expect(calls).toBe(2);
  unsubscribe();
  map.set("d", 4);
  draft.set("e", 5);
  expect(calls).toBe(2);
});
