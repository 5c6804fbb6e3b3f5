// Acks and `known` replies never claim more than storage committed, and a node never forks its
// session after storage lost writes that had already left it.
import { type AppendChunk, createLinkedChannels, createMemoryStorage, type StorageAdapter } from "@cosync/core";
import { expect, test, vi } from "vitest";
import { createTestNode, link, plainHeader, testCrypto } from "../helpers/nodes.js";

/** Memory storage whose appends can be held and then failed, like a full disk. */
function gatedStorage() {
  const inner = createMemoryStorage();
  let gated = false;
  const waiting: Array<(ok: boolean) => void> = [];
  const storage = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === "append") {
        return async (chunk: AppendChunk) => {
          if (gated && !(await new Promise<boolean>((resolve) => waiting.push(resolve)))) throw new Error("disk full");
          return target.append(chunk);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as StorageAdapter;
  return {
    storage,
    gate: () => {
      gated = true;
    },
    fail: () => {
      gated = false;
      for (const resolve of waiting.splice(0)) resolve(false);
    },
    release: () => {
      gated = false;
      for (const resolve of waiting.splice(0)) resolve(true);
    },
    waiting: () => waiting.length,
  };
}

test("durability: a duplicate of content whose append failed is not acknowledged", async () => {
  const gs = gatedStorage();
  let received = 0;
  const server = await createTestNode({ storage: gs.storage, sync: { events: { messageIn: () => received++ } } });
  const client = await createTestNode({ storage: false });
  const value = client.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting(["important"]);
  client.sealLocalWrites();
  const [raw, serverSide] = createLinkedChannels({ aId: "raw", bId: "server", aRole: "client", bRole: "server" });
  server.syncManager.addPeer(serverSide);
  const acks: unknown[] = [];
  const notices: Array<{ error: { code: string } }> = [];
  raw.onMessage((message) => acks.push(message));
  raw.onNotice((notice) => notices.push(notice as never));
  const content = client.peekEntry(value.id)?.log?.contentSince(undefined) ?? [];
  gs.gate();
  for (const message of content) raw.send(message);
  await vi.waitFor(() => expect(gs.waiting()).toBeGreaterThan(0));
  for (const message of content) raw.send(message); // the same content again (a resend, or a second relay)
  // Handled while the first append is still held (not parked: its signer is an agent).
  await vi.waitFor(() => expect(received).toBe(2 * content.length));
  await vi.waitFor(() => expect(server.syncManager.receiving).toBe(0));
  expect(server.peekEntry(value.id)?.parked.size ?? 0).toBe(0);
  gs.fail();
  await vi.waitFor(() => expect(notices.filter((n) => n.error.code === "StorageFailure").length).toBeGreaterThan(0));
  expect(acks.filter((m) => (m as { action: string }).action === "known" && Object.keys((m as { sessions: object }).sessions).length > 0)).toEqual([]);
  expect(await gs.storage.knownState(value.id)).toBeUndefined();
});

test("durability: after storage lost writes that were already sent, the node writes in a fresh session", async () => {
  const gs = gatedStorage();
  const server = await createTestNode();
  const client = await createTestNode({ storage: gs.storage });
  link(client, server);
  const value = client.createCoValue(plainHeader(await testCrypto()));
  await client.syncManager.waitForAllSynced();
  const firstSession = client.sessionId;
  gs.gate();
  value.writeTrusting(["first"]);
  client.sealLocalWrites();
  await vi.waitFor(() => expect(gs.waiting()).toBeGreaterThan(0));
  gs.fail(); // e.g. IndexedDB quota exceeded: the value is evicted from memory
  await vi.waitFor(() => expect(client.peekEntry(value.id)?.log).toBeUndefined());
  expect(client.sessionId).not.toBe(firstSession);
  const again = await client.load(value.id);
  if (again.status !== "loaded") throw new Error("the value could not be reloaded");
  again.value.writeTrusting(["second"]);
  await client.syncManager.waitForAllSynced();
  const onServer = [...(server.get(value.id)?.transactions() ?? [])].map((t) => (t.tx.privacy === "trusting" ? t.tx.changes : ""));
  expect(onServer).toEqual(expect.arrayContaining(['["first"]', '["second"]']));
  expect(new Set([...(server.get(value.id)?.transactions() ?? [])].map((t) => t.sessionId)).size).toBe(2);
});

test("back-pressure: a peer's content beyond maxUnacknowledgedPerPeer waits (its channel paused) until commits catch up", async () => {
  const gs = gatedStorage();
  let handled = 0;
  const server = await createTestNode({ storage: gs.storage, sync: { maxUnacknowledgedPerPeer: 2, events: { messageIn: () => handled++ } } });
  const client = await createTestNode({ storage: false });
  const crypto = await testCrypto();
  const values = Array.from({ length: 4 }, () => client.createCoValue(plainHeader(crypto)));
  for (const value of values) value.writeTrusting(["one"]);
  client.sealLocalWrites();
  const [raw, serverSide] = createLinkedChannels({ aId: "raw", bId: "server", aRole: "client", bRole: "server" });
  const paused: boolean[] = [];
  server.syncManager.addPeer(Object.assign(serverSide, { pause: () => paused.push(true), resume: () => paused.push(false) }));
  const acks: string[] = [];
  raw.onMessage((message) => {
    if ((message as { action: string }).action === "known") acks.push((message as { id: string }).id);
  });
  gs.gate();
  for (const value of values) for (const message of client.peekEntry(value.id)?.log?.contentSince(undefined) ?? []) raw.send(message);
  // Two messages are applied and wait for their commit; the third waits, unread, behind them.
  await vi.waitFor(() => expect(gs.waiting()).toBe(2));
  expect(handled).toBe(2);
  expect(paused).toEqual([true]);
  expect(server.syncManager.receiving).toBe(1);
  gs.release();
  await vi.waitFor(() => expect(new Set(acks)).toEqual(new Set(values.map((value) => value.id))));
  expect(handled).toBe(4);
  expect(paused).toEqual([true, false]);
  for (const value of values) expect((await gs.storage.knownState(value.id))?.header).toBe(true);
});
