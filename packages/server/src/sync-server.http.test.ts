// The plain-HTTP side of the server: /health, /ready, /metrics, and everything else.
import { type ContentMessage, createMemoryStorage } from "@cosync/core";
import { expect, test } from "vitest";
import { createTestNode, plainHeader, testCrypto } from "../../../tests/helpers/nodes.js";
import { startSyncServer } from "./start-sync-server.js";
import { bridgeNode, RawClient } from "./test-fixtures/raw-client.js";

const quiet = { port: 0, log: { level: "silent" } } as const;

function http(url: string, path: string, init?: RequestInit): Promise<Response> {
  return fetch(url.replace("ws://", "http://") + path, init);
}

/** The value of one sample line of the exposition text, or undefined. */
function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

test("http: GET /health answers 200 {status: ok}", async () => {
  await using server = await startSyncServer({ ...quiet, inMemory: true, processMetrics: false });
  const response = await http(server.url, "/health");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/json");
  expect(await response.json()).toEqual({ status: "ok" });
});

test("http: GET /ready answers 200 while storage answers, 503 when it fails", async () => {
  const storage = createMemoryStorage();
  await using server = await startSyncServer({ ...quiet, storage, processMetrics: false });
  const ready = await http(server.url, "/ready");
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: "ready" });
  await storage.close();
  const broken = await http(server.url, "/ready");
  expect(broken.status).toBe(503);
  expect(await broken.json()).toMatchObject({ status: "unavailable", error: expect.any(String) });
  // /health is about the process, not its dependencies.
  expect((await http(server.url, "/health")).status).toBe(200);
});

test("http: other paths answer 426 (use a WebSocket) and other methods 405", async () => {
  await using server = await startSyncServer({ ...quiet, inMemory: true, processMetrics: false });
  const other = await http(server.url, "/anything");
  expect(other.status).toBe(426);
  expect((await http(server.url, "/health", { method: "POST" })).status).toBe(405);
});

test("http: /metrics reports connections, messages and bytes, refusals, latencies, values in memory and GC", async () => {
  await using server = await startSyncServer({ ...quiet, inMemory: true, gc: { idleMs: 0, intervalMs: 3_600_000 } });
  const alice = await createTestNode();
  await using _alice = await bridgeNode(alice, server.url);
  const value = alice.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting(["measured"]);
  await value.waitForSync();
  // A forged message for a refusal.
  const source = await createTestNode();
  const other = source.createCoValue(plainHeader(await testCrypto()));
  other.writeTrusting(["genuine"]);
  source.sealLocalWrites();
  const message = source.peekEntry(other.id)?.log?.contentSince(undefined)[0] as ContentMessage;
  const [session, piece] = Object.entries(message.new)[0] as [string, ContentMessage["new"][never]];
  await using mallory = await RawClient.connect(server.url);
  mallory.send({ ...message, new: { [session]: { ...piece, after: 0, lastSignature: "signature_z1111" } } });
  mallory.send({ ...message, new: { [session]: { ...piece, newTransactions: [{ ...piece.newTransactions[0], changes: '["x"]' }] } } });
  await mallory.notice("InvalidSignature");

  const response = await http(server.url, "/metrics");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
  const text = await response.text();
  expect(sample(text, "cosync_connections")).toBe(2);
  expect(sample(text, "cosync_connections_total{auth=\"none\"}")).toBe(2);
  expect(sample(text, 'cosync_messages_total{action="content",direction="in"}')).toBeGreaterThanOrEqual(2);
  expect(sample(text, 'cosync_messages_total{action="known",direction="out"}')).toBeGreaterThanOrEqual(1);
  expect(sample(text, 'cosync_messages_total{action="error",direction="out"}')).toBeGreaterThanOrEqual(2);
  expect(sample(text, 'cosync_message_bytes_total{action="content",direction="in"}')).toBeGreaterThan(100);
  expect(sample(text, 'cosync_refusals_total{code="MalformedMessage"}')).toBe(1); // the bad signature string
  expect(sample(text, 'cosync_refusals_total{code="InvalidSignature"}')).toBe(1);
  expect(sample(text, 'cosync_wire_bytes_total{direction="in"}')).toBeGreaterThan(100);
  expect(sample(text, 'cosync_wire_bytes_total{direction="out"}')).toBeGreaterThan(100);
  expect(sample(text, "cosync_ack_latency_seconds_count")).toBeGreaterThanOrEqual(1);
  expect(sample(text, "cosync_storage_latency_seconds_count")).toBeGreaterThanOrEqual(1);
  expect(sample(text, "cosync_values_in_memory")).toBeGreaterThanOrEqual(2);
  expect(sample(text, "cosync_send_buffer_bytes")).toBe(0);
  for (const priority of ["0", "3", "6"]) expect(sample(text, `cosync_outgoing_queue_depth{priority="${priority}"}`)).toBe(0);
  expect(sample(text, "cosync_outgoing_dropped_total")).toBe(0);
  expect(text).toContain("cosync_process_resident_memory_bytes");

  const unloaded = server.node.collectGarbage();
  expect(unloaded).toBeGreaterThan(0);
  const after = await (await http(server.url, "/metrics")).text();
  expect(sample(after, "cosync_gc_unloads_total")).toBe(unloaded);
  expect(sample(after, "cosync_values_in_memory")).toBeLessThan(sample(text, "cosync_values_in_memory") ?? 0);
});

test("http: two servers in one process keep separate metrics", async () => {
  await using one = await startSyncServer({ ...quiet, inMemory: true });
  await using two = await startSyncServer({ ...quiet, inMemory: true });
  await using _client = await RawClient.connect(one.url);
  expect(sample(await (await http(one.url, "/metrics")).text(), "cosync_connections")).toBe(1);
  expect(sample(await (await http(two.url, "/metrics")).text(), "cosync_connections")).toBe(0);
});
