// A reader's branch pointer counts only as `{ branch, ownerId }` with no changes (cojson's
// permissions.js rewrites it so): fww, merge or branch-start fields a reader adds can't act.
import { expect, test } from "vitest";
import { accountsOnServer } from "../helpers/nodes.js";

/** alice (admin) and bob (reader, via everyone) on one server; `map` loaded by both. */
async function aliceAndReaderBob() {
  const {
    accounts: [alice, bob],
  } = await accountsOnServer("Alice", "Bob");
  const group = alice.createGroup();
  group.addMember("everyone", "reader");
  return { alice, bob, group };
}

test("a reader's branch pointer carrying meta.fww cannot demote the writer's first-writer-wins init", async () => {
  const { alice, bob, group } = await aliceAndReaderBob();
  const map = group.createMap();
  // After bob became a reader (his pointer must be valid at its madeAt), before alice's init.
  const now = alice.clock.now() + 10_000;
  map.writeTrusting([{ op: "set", key: "version", value: "alice-init" }], { fww: "init" }, now);
  expect(map.get("version")).toBe("alice-init");
  await alice.syncManager.waitForAllSynced();
  expect((await bob.load(map.id)).status).toBe("loaded");
  const bobsMap = bob.getMap(map.id);
  // bob is only a reader: his pointer is valid, but only as a pointer (cojson drops the fww).
  bobsMap?.writeTrusting([], { branch: "x", ownerId: group.id, fww: "init" }, now - 5_000);
  await bob.syncManager.waitForAllSynced();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await alice.syncManager.waitForAllSynced();
  expect(Object.keys(map.knownState().sessions)).toHaveLength(2);
  expect(map.get("version")).toBe("alice-init");
});

test("a reader's branch pointer carrying meta.mi/s cannot take the id of a writer's (future) transaction", async () => {
  const { alice, bob, group } = await aliceAndReaderBob();
  const map = group.createMap({ title: "first" });
  await alice.syncManager.waitForAllSynced();
  expect((await bob.load(map.id)).status).toBe("loaded");
  const [aliceSession, count] = Object.entries(map.knownState().sessions)[0] as [string, number];
  const bobsMap = bob.getMap(map.id);
  // Claims to be a merged copy of alice's *next* transaction.
  bobsMap?.writeTrusting([], { branch: "x", ownerId: group.id, mi: count, s: aliceSession, t: 1 });
  await bob.syncManager.waitForAllSynced();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await alice.syncManager.waitForAllSynced();
  expect(Object.keys(map.knownState().sessions)).toHaveLength(2);
  expect(map.get("title")).toBe("first"); // alice's node has read bob's pointer
  map.set("title", "second");
  // alice's own write must show (cojson ignores the reader's meta entirely).
  expect(map.get("title")).toBe("second");
});

test("a reader's branch pointer carrying meta.merged cannot make mergeBranch skip a branch's edits", async () => {
  const { alice, bob, group } = await aliceAndReaderBob();
  const map = group.createMap({ title: "main" });
  const draft = map.createBranch("draft");
  draft.set("title", "draft");
  await alice.syncManager.waitForAllSynced();
  expect((await bob.load(map.id)).status).toBe("loaded");
  const bobsMap = bob.getMap(map.id);
  const merged = Object.fromEntries(Object.keys(draft.knownState().sessions).map((session) => [session, 1_000]));
  bobsMap?.writeTrusting([], { branch: draft.id, ownerId: group.id, merged });
  await bob.syncManager.waitForAllSynced();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await alice.syncManager.waitForAllSynced();
  expect(Object.keys(map.knownState().sessions)).toHaveLength(2);
  draft.mergeBranch();
  expect(map.get("title")).toBe("draft");
});
