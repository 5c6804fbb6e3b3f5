// Attack review (branch attack-review): a stranger on the cluster bus (a NATS subject anyone on
// that NATS server can publish to without credentials; NOTIFY for any database user). Real
// PostgreSQL (TEST_PG_URL), real NATS (TEST_NATS_URL), real WebSockets.
// "FINDING" tests fail on the code as it is; "refused" ones are attacks that are correctly handled.
import { connect, StringCodec } from "nats";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { createFreshDatabase, type FreshDatabase } from "../../../storage-postgres/src/test-fixtures/fresh-database.js";
import { createTestNode, plainHeader, testCrypto } from "../../../../tests/helpers/nodes.js";
import { startSyncServer, type SyncServer } from "../start-sync-server.js";
import { ClientLink, changesOf, sharedNatsUrl } from "../test-fixtures/cluster-kit.js";

const skip = process.env.SKIP_PG === "1";

async function metric(server: SyncServer, name: string): Promise<number> {
  const body = await (await fetch(`${server.url.replace(/^ws/, "http")}/metrics`)).text();
  const line = body.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? Number.NaN : Number(line.split(" ").pop());
}

describe.skipIf(skip)("attack review: cluster bus injection (NATS)", () => {
  let db: FreshDatabase;
  let server: SyncServer;
  const subject = `cosync.attack.${Math.random().toString(36).slice(2)}`;
  beforeEach(async () => {
    db = await createFreshDatabase();
    server = await startSyncServer({
      port: 0,
      db: db.url,
      cluster: { bus: sharedNatsUrl, subject, heartbeatMs: 200, catchUpIntervalMs: 0 },
      log: { level: "silent" },
      processMetrics: false,
    });
  });
  afterEach(async () => {
    await server.close();
    await db.drop();
  });

  test("refused: forged commit notices for a held value change nothing clients see (content comes only from storage)", async () => {
    const alice = await createTestNode();
    const bob = await createTestNode();
    await using a = new ClientLink(alice, "a");
    await using b = new ClientLink(bob, "b");
    await a.connect(server.url);
    await b.connect(server.url);
    const value = alice.createCoValue(plainHeader(await testCrypto()));
    value.writeTrusting(["real"]);
    await value.waitForSync({ timeoutMs: 10_000 });
    expect((await bob.load(value.id)).status).toBe("loaded");
    const stranger = await connect({ servers: sharedNatsUrl });
    const codec = StringCodec();
    const session = Object.keys(value.knownState().sessions)[0] as string;
    for (let i = 0; i < 200; i++) {
      stranger.publish(subject, codec.encode(JSON.stringify({ origin: "evil", sentAt: -1e15, notices: [{ id: value.id, sessions: { [session]: 1e9, "x_session_zFake": 5 } }] })));
    }
    await stranger.flush();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(changesOf(bob, value.id)).toEqual([["real"]]);
    await stranger.close();
  });

  test("fixed: heartbeats with made-up origins no longer grow cosync_cluster_processes (and the map behind it) without bound", async () => {
    const stranger = await connect({ servers: sharedNatsUrl });
    const codec = StringCodec();
    for (let i = 0; i < 5000; i++) stranger.publish(subject, codec.encode(JSON.stringify({ origin: `ghost-${i}-${"p".repeat(200)}`, sentAt: Date.now(), notices: [] })));
    await stranger.flush();
    await stranger.close();
    // Every forged heartbeat has arrived (the bus is as open as its network: NATS credentials or a
    // private network keep strangers off it; what they can do meanwhile must stay bounded).
    await vi.waitFor(async () => expect(await metric(server, 'cosync_cluster_bus_messages_total{direction="in"}')).toBeGreaterThanOrEqual(5000), { timeout: 10_000 });
    await vi.waitFor(async () => expect(await metric(server, "cosync_cluster_processes")).toBeGreaterThan(1), { timeout: 5000 });
    expect(await metric(server, "cosync_cluster_processes")).toBeLessThanOrEqual(256);
  });
});
