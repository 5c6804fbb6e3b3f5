// Two server nodes sharing one storage (as server processes share one PostgreSQL): what one
// commits reaches the other's subscribers once it refreshes the value from storage.
import {
  createMemoryStorage,
  isDeleteSessionId,
  type KnownSessions,
  type LocalNode,
  makeTrustingTransaction,
  type SessionId,
  type StorageAdapter,
} from "@cosync/core";
import { expect, test, vi } from "vitest";
import { createTestNode, link, namedAccountNode, plainHeader, testCrypto } from "../helpers/nodes.js";

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

// ---- deletions taken by another node ------------------------------------------------------------

/** A value of alice's group, held by `second` (bob loaded it there) and in its full-content cache. */
async function deletableOnTwoServers(secondStorage?: (shared: StorageAdapter) => StorageAdapter) {
  const storage = createMemoryStorage();
  const first = await createTestNode({ storage });
  const second = await createTestNode({ storage: secondStorage?.(storage) ?? storage });
  const alice = await namedAccountNode("Alice");
  const bob = await namedAccountNode("Bob");
  link(alice, first, { names: { client: "alice", server: "first" } });
  link(bob, second, { names: { client: "bob", server: "second" } });
  await alice.syncManager.waitForAllSynced();
  await bob.syncManager.waitForAllSynced();
  const group = alice.createGroup();
  const map = group.createMap({ secret: "shred me" });
  await alice.syncManager.waitForAllSynced();
  expect((await bob.load(map.id)).status).toBe("loaded");
  expect(sessionsOf(second, map.id).some((id) => !isDeleteSessionId(id))).toBe(true);
  return { first, second, alice, bob, group, map };
}

function sessionsOf(node: LocalNode, id: string): SessionId[] {
  return [...(node.peekEntry(id as never)?.log?.sessions.keys() ?? [])];
}

/** What a fresh client loading `id` from `server` is sent: the sessions of every content message. */
async function servedSessions(server: LocalNode, id: string): Promise<SessionId[]> {
  const reader = await createTestNode({ storage: false });
  link(reader, server, { names: { client: `reader${Math.random()}`, server: "server" } });
  expect((await reader.load(id as never)).status).toBe("loaded");
  return sessionsOf(reader, id);
}

test("refreshFromStorage: a deletion another node took deletes the value here too, and reaches subscribers", async () => {
  const { second, alice, bob, map } = await deletableOnTwoServers();
  alice.deleteCoValue(map.id);
  await alice.syncManager.waitForAllSynced();

  expect(await second.syncManager.refreshFromStorage(map.id)).toEqual({ applied: 1 });
  expect(second.peekEntry(map.id)?.deleted).toBe(true);
  expect(sessionsOf(second, map.id).every(isDeleteSessionId)).toBe(true);
  // A later load here is answered with the delete session alone (not the cached full content).
  const served = await servedSessions(second, map.id);
  expect(served).toHaveLength(1);
  expect(served.every(isDeleteSessionId)).toBe(true);
  // The subscriber was sent the delete session and deleted the value too.
  await vi.waitFor(() => expect(bob.peekEntry(map.id)?.deleted).toBe(true));
  expect(sessionsOf(bob, map.id).every(isDeleteSessionId)).toBe(true);
  // Content for the deleted value is no longer taken here.
  expect(await second.syncManager.refreshFromStorage(map.id)).toEqual({ applied: 0 });
});

test("refreshFromStorage: a deletion by an admin this node does not know of yet is judged with the owner group re-read", async () => {
  // Storage's tombstone is never seen here (as if the deleting node had not recorded it yet).
  const notYetRecorded = (shared: StorageAdapter) =>
    new Proxy(shared, {
      get: (target, key) => {
        if (key === "isDeleted") return async () => false;
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  const { first, second, alice, bob, group, map } = await deletableOnTwoServers(notYetRecorded);
  const carol = await namedAccountNode("Carol");
  link(carol, first, { names: { client: "carol", server: "first" } });
  await carol.syncManager.waitForAllSynced();
  expect((await alice.load(carol.accountId as never)).status).toBe("loaded");
  group.addMember(carol.accountId as never, "admin");
  await alice.syncManager.waitForAllSynced();
  expect((await carol.load(map.id)).status).toBe("loaded");
  carol.deleteCoValue(map.id);
  await carol.syncManager.waitForAllSynced();

  // Only the value is refreshed: the group, held here without carol, is re-read to judge her deletion.
  expect((await second.syncManager.refreshFromStorage(map.id)).applied).toBeGreaterThan(0);
  expect(second.peekEntry(map.id)?.deleted).toBe(true);
  expect(sessionsOf(second, map.id).every(isDeleteSessionId)).toBe(true);
  await vi.waitFor(() => expect(bob.peekEntry(map.id)?.deleted).toBe(true));
});

test("refreshFromStorage: a delete session that is not a deletion leaves the value as it is", async () => {
  const { first, second, alice, map } = await deletableOnTwoServers();
  // A `$` session without a delete marker is ordinary content (cojson's rule): stored, not a deletion.
  const entry = alice.peekEntry(map.id);
  if (entry === undefined) throw new Error("no entry");
  const sessionId = `${alice.accountId}_session_d${(await testCrypto()).newDeleteSessionRandomPart()}$` as SessionId;
  alice.appendTransactionsAs(entry, sessionId, alice.agentSecret, [makeTrustingTransaction([{ op: "set", key: "x", value: 1 }], Date.now())]);
  await alice.syncManager.waitForAllSynced();
  expect(first.peekEntry(map.id)?.deleted).toBe(false);

  expect(await second.syncManager.refreshFromStorage(map.id)).toEqual({ applied: 1 });
  expect(second.peekEntry(map.id)?.deleted).toBe(false);
  expect(sessionsOf(second, map.id).some((id) => !isDeleteSessionId(id))).toBe(true);
});
