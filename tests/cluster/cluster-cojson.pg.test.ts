// Real cojson 0.20.19 clients connected to different cosync server processes (two servers on one
// PostgreSQL database, in this process) sync with each other through the cluster, over either bus.
import type { RawAccount, RawCoMap, RawGroup } from "cojson";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { createFreshDatabase, type FreshDatabase } from "../../packages/storage-postgres/src/test-fixtures/fresh-database.js";
import { type SyncServer, startSyncServer } from "../../packages/server/src/start-sync-server.js";
import { sharedNatsUrl } from "../../packages/server/src/test-fixtures/cluster-kit.js";
import { connectNewCojsonAccount, loadCojson as load, untilCojson as until } from "../helpers/cojson-sync-server.js";

const skip = process.env.SKIP_PG === "1";

describe.skipIf(skip).each([
  { bus: "nats", cluster: sharedNatsUrl },
  { bus: "postgres", cluster: "postgres" },
])("cojson clients on two processes, bus $bus", ({ cluster }) => {
  let db: FreshDatabase;
  let servers: SyncServer[] = [];
  beforeEach(async () => {
    db = await createFreshDatabase();
    const options = { port: 0, db: db.url, cluster, log: { level: "silent" }, processMetrics: false } as const;
    for (let i = 0; i < 2; i++) servers.push(await startSyncServer(options));
  });
  afterEach(async () => {
    await Promise.all(servers.map((server) => server.close()));
    servers = [];
    await db.drop();
  });

  test("accounts, a group and private map edits flow both ways between processes, pushed to subscribers", async () => {
    const [first, second] = servers as [SyncServer, SyncServer];
    const alice = await connectNewCojsonAccount(first.url, "alice");
    const bob = await connectNewCojsonAccount(second.url, "bob");
    try {
      // Bob's account was created through the second process; alice finds it through the first.
      const group = alice.node.createGroup();
      group.addMember(await load<RawAccount>(alice.node, bob.accountID), "writer");
      const map = group.createMap();
      map.set("title", "shopping", "private");
      await Promise.all([group, map].map((value) => value.core.waitForSync({ timeout: 30_000 })));

      const bobsMap = await load<RawCoMap>(bob.node, map.id);
      expect(bobsMap.get("title")).toBe("shopping");
      expect((await load<RawGroup>(bob.node, group.id)).roleOf(bob.accountID as never)).toBe("writer");

      // Both now subscribed, each through its own process: edits are pushed across.
      bobsMap.set("reply", "eggs too", "private");
      await until(map, () => map.get("reply") === "eggs too", "bob's edit at alice");
      map.set("title", "groceries", "private");
      await until(bobsMap, () => bobsMap.get("title") === "groceries", "alice's edit at bob");

      // Concurrent edits of one key on both processes: both stored, both sides agree on the winner.
      // cojson orders transactions of equal madeAt from different sessions by arrival
      // (compareTransactions returns 0), so two replicas may pick different winners when both
      // writes fall in the same millisecond: let the clock move between them.
      map.set("winner", "alice", "private");
      const written = Date.now();
      while (Date.now() === written) await new Promise((resolve) => setImmediate(resolve));
      bobsMap.set("winner", "bob", "private");
      await Promise.all([map.core.waitForSync({ timeout: 30_000 }), bobsMap.core.waitForSync({ timeout: 30_000 })]);
      await until(map, () => map.core.knownState().sessions[bob.node.currentSessionID] !== undefined && map.get("winner") === bobsMap.get("winner"), "agreement at alice");
      await until(bobsMap, () => JSON.stringify(bobsMap.core.knownState()) === JSON.stringify(map.core.knownState()), "same known state at bob");
      expect(map.get("winner")).toBe("bob"); // the later write wins on both sides
    } finally {
      await alice.close();
      await bob.close();
    }
  });
});
