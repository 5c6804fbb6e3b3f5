// Accounts, groups and private values end to end between cosync nodes through a cosync server.
import { createAccountNode, createMemoryStorage, type LocalNode } from "@cosync/core";
import { expect, test, vi } from "vitest";
import { createTestNode, link, testCrypto } from "../helpers/nodes.js";

async function accountNode(name: string) {
  return createAccountNode({ crypto: await testCrypto(), storage: createMemoryStorage(), gc: false, name });
}

async function loaded(node: LocalNode, id: string) {
  const outcome = await node.load(id as never);
  if (outcome.status !== "loaded") throw new Error(`${id} is unavailable`);
}

test("accounts and groups: a private map is readable by members only, and after removal new writes are not", async () => {
  const server = await createTestNode();
  const alice = await accountNode("Alice");
  const bob = await accountNode("Bob");
  const eve = await accountNode("Eve");
  link(alice, server, { names: { client: "alice", server: "server" } });
  link(bob, server, { names: { client: "bob", server: "server" } });
  link(eve, server, { names: { client: "eve", server: "server" } });
  await Promise.all([alice, bob, eve].map((n) => n.syncManager.waitForAllSynced()));

  const group = alice.createGroup({ name: "team" });
  expect(group.roleOf(alice.accountId as never)).toBe("admin");
  await loaded(alice, bob.accountId as string);
  group.addMember(bob.accountId as never, "writer");
  const map = group.createMap({ secret: "s3cret" });
  expect(map.get("secret")).toBe("s3cret");
  await alice.syncManager.waitForAllSynced();

  // The server holds only ciphertext.
  const onServer = [...(server.get(map.id)?.transactions() ?? [])].map((t) => JSON.stringify(t.tx));
  expect(onServer.join()).not.toContain("s3cret");

  await loaded(bob, map.id);
  const bobsMap = bob.getMap(map.id);
  expect(bobsMap?.get("secret")).toBe("s3cret");
  bobsMap?.set("reply", "hi");
  await vi.waitFor(() => expect(map.get("reply")).toBe("hi"));

  // Eve is no member: she can load the value (the server is blind) but not read it.
  await loaded(eve, map.id);
  expect(eve.getMap(map.id)?.toJSON()).toEqual({});

  // Removing bob rotates the key: what alice writes afterwards stays unreadable to bob.
  group.removeMember(bob.accountId as never);
  expect(group.roleOf(bob.accountId as never)).toBeUndefined(); // cojson reports a revoked member as having no role
  map.set("after", "removal");
  await alice.syncManager.waitForAllSynced();
  await vi.waitFor(() => expect(bob.getGroup(group.id)?.state.entries.get(bob.accountId as string)?.at(-1)?.value).toBe("revoked"));
  await vi.waitFor(() => expect([...(bob.get(map.id)?.transactions() ?? [])].length).toBe(3));
  expect(bob.getMap(map.id)?.get("after")).toBeUndefined();
  expect(bob.getMap(map.id)?.get("secret")).toBe("s3cret");
  expect(map.get("after")).toBe("removal");
});

test("invites: an invite secret lets another account join with the invite's role", async () => {
  const server = await createTestNode();
  const alice = await accountNode("Alice");
  const carol = await accountNode("Carol");
  link(alice, server, { names: { client: "alice", server: "server" } });
  link(carol, server, { names: { client: "carol", server: "server" } });
  const group = alice.createGroup();
  const list = group.createList();
  list.append("first");
  const invite = group.createInvite("writer");
  await alice.syncManager.waitForAllSynced();

  await loaded(carol, group.id);
  carol.getGroup(group.id)?.acceptInvite(invite);
  expect(carol.getGroup(group.id)?.roleOf(carol.accountId as never)).toBe("writer");
  await loaded(carol, list.id);
  expect(carol.getList(list.id)?.asArray()).toEqual(["first"]);
  carol.getList(list.id)?.append("from carol");
  await vi.waitFor(() => expect(list.asArray()).toEqual(["first", "from carol"]));
});

test("parent groups: members of a parent read values of the child", async () => {
  const server = await createTestNode();
  const alice = await accountNode("Alice");
  const dave = await accountNode("Dave");
  link(alice, server, { names: { client: "alice", server: "server" } });
  link(dave, server, { names: { client: "dave", server: "server" } });
  await dave.syncManager.waitForAllSynced();
  await loaded(alice, dave.accountId as string);
  const parent = alice.createGroup();
  parent.addMember(dave.accountId as never, "reader");
  const child = alice.createGroup();
  child.extend(parent);
  const text = child.createPlainText("héllo 👩‍👩‍👧 wörld");
  await alice.syncManager.waitForAllSynced();
  await loaded(dave, text.id);
  expect(dave.getPlainText(text.id)?.toString()).toBe("héllo 👩‍👩‍👧 wörld");
  expect(dave.getGroup(child.id)?.roleOf(dave.accountId as never)).toBe("reader");

  // Removing dave from the parent rotates the parent's key and, recursively, the child's.
  const childKeyBefore = child.state.entries.get("readKey")?.at(-1)?.value;
  parent.removeMember(dave.accountId as never);
  expect(child.state.entries.get("readKey")?.at(-1)?.value).not.toBe(childKeyBefore);
  const secret = alice.getPlainText(text.id);
  secret?.insertAfter(0, "!");
  await alice.syncManager.waitForAllSynced();
  await vi.waitFor(() => expect(dave.getGroup(child.id)?.state.entries.get("readKey")?.at(-1)?.value).not.toBe(childKeyBefore));
  await vi.waitFor(() => expect([...(dave.get(text.id)?.transactions() ?? [])].length).toBe([...(text.transactions() ?? [])].length));
  expect(dave.getGroup(child.id)?.roleOf(dave.accountId as never)).toBeUndefined();
  expect(dave.getPlainText(text.id)?.toString()).toBe("héllo 👩‍👩‍👧 wörld");
  expect(alice.getPlainText(text.id)?.toString()).toBe("h!éllo 👩‍👩‍👧 wörld");
});
