// A merged copy's claimed origin (meta mi/s) orders it and names its list ops, but repeats are
// recognised by where a transaction really sits: a writer's transaction claiming to be a copy of
// another session's transaction can't make that transaction vanish (cojson's RawCoMap does not
// drop either).
import { expect, test } from "vitest";
import { accountsOnServer } from "../helpers/nodes.js";

test("a writer's forged merge copy (meta mi/s naming alice's next index) does not erase alice's next write", async () => {
  const {
    accounts: [alice, bob],
  } = await accountsOnServer("Alice", "Bob");
  const group = alice.createGroup();
  group.addMember("everyone", "writer");
  const map = group.createMap({ title: "first" });
  await alice.syncManager.waitForAllSynced();
  expect((await bob.load(map.id)).status).toBe("loaded");
  const [aliceSession, count] = Object.entries(map.knownState().sessions)[0] as [string, number];
  bob.getMap(map.id)?.writeTrusting([{ op: "set", key: "other", value: "bob" }], { mi: count, s: aliceSession, t: 1 });
  await bob.syncManager.waitForAllSynced();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await alice.syncManager.waitForAllSynced();
  expect(map.get("other")).toBe("bob");
  map.set("title", "second");
  expect(map.get("title")).toBe("second");
});
