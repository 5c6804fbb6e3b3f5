// The LISTEN/NOTIFY bus loses its connection (the backend terminated, as a database restart or a
// failover would): it reconnects, and the process catches up from the tables.
import pg from "pg";
import { expect, test, vi } from "vitest";
import { createFreshDatabase } from "../../../storage-postgres/src/test-fixtures/fresh-database.js";
import { createTestNode, plainHeader, testCrypto } from "../../../../tests/helpers/nodes.js";
import { startSyncServer } from "../start-sync-server.js";
import { ClientLink, changesOf } from "../test-fixtures/cluster-kit.js";

test.skipIf(process.env.SKIP_PG === "1")("postgres bus: after its LISTEN connection is cut, a process reconnects and catches up", async () => {
  await using db = await createFreshDatabase();
  const options = { port: 0, db: db.url, log: { level: "silent" }, processMetrics: false } as const;
  await using first = await startSyncServer({ ...options, cluster: { bus: "postgres", processId: "first" } });
  await using second = await startSyncServer({ ...options, cluster: { bus: "postgres", processId: "second" } });
  const [writer, reader] = await Promise.all([createTestNode(), createTestNode()]);
  await using writerLink = new ClientLink(writer);
  await writerLink.connect(first.url);
  await using readerLink = new ClientLink(reader);
  await readerLink.connect(second.url);
  const value = writer.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting(["before"]);
  await value.waitForSync();
  expect((await reader.load(value.id)).status).toBe("loaded");

  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  try {
    const { rows } = await admin.query("SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity WHERE application_name = 'cosync second'");
    expect(rows).toEqual([{ cut: true }]);
  } finally {
    await admin.end();
  }
  for (let i = 0; i < 5; i++) value.writeTrusting([`after ${i}`]);
  await value.waitForSync();
  const expected = [["before"], ...Array.from({ length: 5 }, (_, i) => [`after ${i}`])];
  await vi.waitFor(() => expect(changesOf(reader, value.id)).toEqual(expected), { timeout: 15_000 });
  const metrics = await (await fetch(`${second.url.replace("ws://", "http://")}/metrics`)).text();
  expect(metrics).toMatch(/cosync_cluster_catch_ups_total\{reason="bus_reconnect"\} [1-9]/);
  expect(metrics).toMatch(/cosync_cluster_bus_connected 1/);
});
