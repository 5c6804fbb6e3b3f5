// Three server processes' worth of servers (in this process) on one PostgreSQL database, linked
// by each bus: clients spread over them see each other's writes and converge.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { createFreshDatabase, type FreshDatabase } from "../../../storage-postgres/src/test-fixtures/fresh-database.js";
import { createTestNode, plainHeader, testCrypto } from "../../../../tests/helpers/nodes.js";
import { startSyncServer, type SyncServer } from "../start-sync-server.js";
import { ClientLink, changesOf, sharedNatsUrl } from "../test-fixtures/cluster-kit.js";

const skip = process.env.SKIP_PG === "1";

describe.skipIf(skip).each([
  { bus: "nats", cluster: sharedNatsUrl },
  { bus: "postgres", cluster: "postgres" },
])("cluster over $bus", ({ cluster }) => {
  let db: FreshDatabase;
  let servers: SyncServer[] = [];
  beforeEach(async () => {
    db = await createFreshDatabase();
    const options = { port: 0, db: db.url, cluster, log: { level: "silent" }, processMetrics: false } as const;
    // One at a time: the first creates the schema.
    for (let i = 0; i < 3; i++) servers.push(await startSyncServer(options));
  });
  afterEach(async () => {
    await Promise.all(servers.map((server) => server.close()));
    servers = [];
    await db.drop();
  });

  test("a write on one process reaches subscribers on the others", async () => {
    const [alice, bob, carol] = await Promise.all([createTestNode(), createTestNode(), createTestNode()]);
    await using _a = await linked(alice, servers[0]);
    await using _b = await linked(bob, servers[1]);
    await using _c = await linked(carol, servers[2]);
    const value = alice.createCoValue(plainHeader(await testCrypto()));
    value.writeTrusting(["first"]);
    await value.waitForSync();
    expect((await bob.load(value.id)).status).toBe("loaded");
    expect((await carol.load(value.id)).status).toBe("loaded");

    for (let i = 0; i < 10; i++) value.writeTrusting([i]);
    await value.waitForSync();
    const expected = ["first", ...Array.from({ length: 10 }, (_, i) => i)].map((change) => [change]);
    await vi.waitFor(() => expect(changesOf(bob, value.id)).toEqual(expected), { timeout: 10_000 });
    await vi.waitFor(() => expect(changesOf(carol, value.id)).toEqual(expected), { timeout: 10_000 });
  });

  test("concurrent edits of one value on three processes are all stored and delivered everywhere", async () => {
    const nodes = await Promise.all([createTestNode(), createTestNode(), createTestNode()]);
    const links = await Promise.all(nodes.map((node, i) => linked(node, servers[i])));
    const [first] = nodes as [(typeof nodes)[0]];
    const value = first.createCoValue(plainHeader(await testCrypto()));
    value.writeTrusting(["created"]);
    await value.waitForSync();
    const handles = await Promise.all(
      nodes.map(async (node) => {
        const loaded = await node.load(value.id);
        if (loaded.status !== "loaded") throw new Error("a client could not load the value");
        return loaded.value;
      }),
    );
    // Interleaved bursts: every process receives content for the value while the others commit theirs.
    for (let round = 0; round < 20; round++) {
      for (const [writer, handle] of handles.entries()) handle.writeTrusting([`w${writer}-${round}`]);
    }
    await Promise.all(handles.map((handle) => handle.waitForSync()));
    const total = 1 + 3 * 20;
    for (const node of nodes) await vi.waitFor(() => expect(changesOf(node, value.id)).toHaveLength(total), { timeout: 15_000 });
    const states = nodes.map((node) => node.get(value.id)?.knownState());
    expect(states[1]).toEqual(states[0]);
    expect(states[2]).toEqual(states[0]);
    expect(await servers[0]?.node.storage?.knownState(value.id)).toEqual(states[0]);
    // Every client holds each transaction exactly once (sessions apply in arrival order, so sort).
    const sorted = (node: typeof first) => changesOf(node, value.id).map((change) => JSON.stringify(change)).sort();
    expect(new Set(sorted(first)).size).toBe(total);
    for (const node of nodes) expect(sorted(node)).toEqual(sorted(first));
    await Promise.all(links.map((link) => link[Symbol.asyncDispose]()));
  });

  test("a client that moves to another process continues its session there", async () => {
    const [alice, bob] = await Promise.all([createTestNode(), createTestNode()]);
    const aliceLink = new ClientLink(alice);
    await aliceLink.connect(server(0).url);
    await using _b = await linked(bob, servers[2]);
    const value = alice.createCoValue(plainHeader(await testCrypto()));
    value.writeTrusting(["on first"]);
    await value.waitForSync();
    expect((await bob.load(value.id)).status).toBe("loaded");

    await aliceLink.connect(server(1).url);
    value.writeTrusting(["on second"]);
    await value.waitForSync({ timeoutMs: 10_000 });
    await vi.waitFor(() => expect(changesOf(bob, value.id)).toEqual([["on first"], ["on second"]]), { timeout: 10_000 });
    expect(await server(1).node.storage?.knownState(value.id)).toEqual(value.knownState());
    await aliceLink[Symbol.asyncDispose]();
  });

  function server(index: number): SyncServer {
    const found = servers[index];
    if (found === undefined) throw new Error(`no server ${index}`);
    return found;
  }
});

async function linked(node: Awaited<ReturnType<typeof createTestNode>>, server: SyncServer | undefined): Promise<ClientLink> {
  if (server === undefined) throw new Error("no such server");
  const link = new ClientLink(node);
  await link.connect(server.url);
  return link;
}
