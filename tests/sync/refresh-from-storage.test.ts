// Two server nodes sharing one storage (as server processes share one PostgreSQL): what one
// commits reaches the other's subscribers once it refreshes the value from storage.
import { createMemoryStorage, type KnownSessions, type LocalNode } from "@cosync/core";
import { expect, test, vi } from "vitest";
import { createTestNode, link, plainHeader, testCrypto } from "../helpers/nodes.js";

function changesOf(node: LocalNode, id: string): unknown[] {
  const value = node.get(id as never);
  return value === undefined ? [] : [...value.transactions()].map((t) => (t.tx.privacy === "trusting" ? JSON.parse(t.tx.changes) : null));
}

async function twoServersOnOneStorage() {
  const storage = createMemoryStorage();
  const commits: Array<{ id: string; sessions: KnownSessions }> = [];
  const first = await createTestNode({ storage, sync: { events: { committed: (id, sessions) => commits.push({ id, sessions }) } } });
  const second = await createTestNode({ storage });
  const alice = await createTestNode();
  const bob = await createTestNode();
  link(alice, first, { names: { client: "alice", server: "first" } });
  link(bob, second, { names: { client: "bob", server: "second" } });
  return { first, second, alice, bob, commits };
}

test("refreshFromStorage: content committed by another node reaches this node's subscribers", async () => {
  const { second, alice, bob, commits } = await twoServersOnOneStorage();
  const value = alice.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting(["one"]);
  await value.waitForSync();
  const loaded = await bob.load(value.id);
  expect(loaded.status).toBe("loaded");

  value.writeTrusting(["two"]);
  value.writeTrusting(["three"]);
  await value.waitForSync();
  expect(commits.at(-1)).toEqual({ id: value.id, sessions: value.knownState().sessions });
  expect(changesOf(bob, value.id)).toEqual([["one"]]);

  expect(await second.syncManager.refreshFromStorage(value.id)).toEqual({ applied: 2 });
  await vi.waitFor(() => expect(changesOf(bob, value.id)).toEqual([["one"], ["two"], ["three"]]));
  expect(second.get(value.id)?.knownState()).toEqual(value.knownState());
  // Nothing new: nothing applied, nothing sent twice.
  expect(await second.syncManager.refreshFromStorage(value.id)).toEqual({ applied: 0 });
});

test("refreshFromStorage: a value not in memory is left alone (read fresh when needed)", async () => {
  const { second, alice } = await twoServersOnOneStorage();
  const value = alice.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting(["one"]);
  await value.waitForSync();
  expect(await second.syncManager.refreshFromStorage(value.id)).toEqual({ applied: 0 });
  expect(second.peekEntry(value.id)).toBeUndefined();
});

test("refreshFromStorage: the refreshed value verifies further content from its writer", async () => {
  const { second, alice, bob } = await twoServersOnOneStorage();
  const value = alice.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting(["one"]);
  await value.waitForSync();
  const loaded = await bob.load(value.id);
  if (loaded.status !== "loaded") throw new Error("bob could not load");
  value.writeTrusting(["two"]);
  await value.waitForSync();
  await second.syncManager.refreshFromStorage(value.id);
  // Alice moves to the second server and continues her session there: its hash chain must match.
  link(alice, second, { names: { client: "alice", server: "second" } });
  value.writeTrusting(["three"]);
  await value.waitForSync();
  await vi.waitFor(() => expect(changesOf(bob, value.id)).toEqual([["one"], ["two"], ["three"]]));
});
