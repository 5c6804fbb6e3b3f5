// The sync protocol, behaviour by behaviour, as exact message sequences.
import type { CoValueHandle, CoValueHeader, ContentMessage, LocalNode } from "@cosync/core";
import { expect, test, vi } from "vitest";
import { createAccountNode, createTestNode, link, plainHeader, testCrypto } from "../helpers/nodes.js";
import { createMessageTrace, type MessageTrace } from "../helpers/trace.js";

async function settle(...nodes: LocalNode[]) {
  // Wait until every node's storage writes and acks have drained.
  for (let i = 0; i < 5; i++) {
    await Promise.all(nodes.flatMap((node) => [...node.allEntries()].map((entry) => entry.storageTail)));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * A server, and alice (a fresh node unless `createAlice` says otherwise) linked to it, traced by
 * `trace` if given: alice creates a value of `type`, `write`s it and waits until it is synced.
 */
async function aliceSyncsAValue(
  write: (value: CoValueHandle) => void,
  { createAlice = createTestNode, trace, type }: { createAlice?: () => Promise<LocalNode>; trace?: MessageTrace; type?: CoValueHeader["type"] } = {},
) {
  const server = await createTestNode();
  const alice = await createAlice();
  const names = { client: "alice", server: "server" };
  const { serverPeer } = link(alice, server, trace ? { trace, names } : { names });
  const value = alice.createCoValue(plainHeader(await testCrypto(), type));
  write(value);
  await value.waitForSync();
  return { server, alice, serverPeer, value };
}

/** bob, a fresh node linked to `server` with its messages recorded in `trace`, loads `id`; both settle. */
async function bobLoads(server: LocalNode, id: CoValueHandle["id"], trace: MessageTrace): Promise<LocalNode> {
  const bob = await createTestNode();
  link(bob, server, { trace, names: { client: "bob", server: "server" } });
  await bob.load(id);
  await settle(bob, server);
  return bob;
}

test("trace: a client loading a value it has never seen gets the author's account, then the value, then done", async () => {
  const trace = createMessageTrace();
  const { server, alice, value } = await aliceSyncsAValue((value) => value.writeTrusting(["hello"]), { createAlice: createAccountNode });

  await bobLoads(server, value.id, trace);
  expect(trace.lines({ [value.id]: "Value", [alice.accountId as string]: "Account" })).toEqual([
    "bob -> server | load    Value no header none",
    "server -> bob | content Account header 0+1 p0",
    "server -> bob | content Value header 0+1 p3",
    "server -> bob | done    Value",
    "bob -> server | known   Account header 1",
    "bob -> server | known   Value header 1",
  ]);
});

test("trace: loading a value nobody has is answered with known header:false", async () => {
  const trace = createMessageTrace();
  const server = await createTestNode();
  const bob = await createTestNode({ sync: { loadRetries: 0 } });
  link(bob, server, { trace, names: { client: "bob", server: "server" } });
  // A real id whose value lives only on a node that is not connected.
  const realId = (await createTestNode()).createCoValue(plainHeader(await testCrypto())).id;
  expect((await bob.load(realId)).status).toBe("unavailable");
  expect(trace.lines({ [realId]: "Missing" })).toEqual([
    "bob -> server | load    Missing no header none",
    "server -> bob | known   Missing no header none",
  ]);
});

test("trace: a client that already has everything gets a known reply, no content", async () => {
  const trace = createMessageTrace();
  const { server, alice, serverPeer, value } = await aliceSyncsAValue((value) => value.writeTrusting([1]));
  serverPeer.channel.close();
  link(alice, server, { trace, names: { client: "alice", server: "server" } });
  await vi.waitFor(() => expect(trace.lines({ [value.id]: "Value" }).length).toBeGreaterThanOrEqual(2));
  await settle(alice, server);
  expect(trace.lines({ [value.id]: "Value" })).toEqual([
    "alice -> server | load    Value header 1",
    "server -> alice | known   Value header 1",
  ]);
});

test("trace: content with `after` beyond what the server holds gets a Gap notice and a correction naming what it has", async () => {
  const trace = createMessageTrace();
  const { server, alice, serverPeer, value } = await aliceSyncsAValue((value) => {
    value.writeTrusting([1]);
    value.writeTrusting([2]);
  });
  serverPeer.channel.close();
  value.writeTrusting([3]);
  const session = [...(alice.peekEntry(value.id)?.log?.sessions.values() ?? [])][0];
  if (session === undefined) throw new Error("no session");
  const late = await createTestNode();
  const { toServer } = link(late, server, { trace, names: { client: "late", server: "server" } });
  const gap: ContentMessage = {
    action: "content",
    id: value.id,
    priority: 3,
    new: { [session.sessionId]: { after: 5, newTransactions: [session.transactions[2] as never], lastSignature: session.lastSignature as never } },
  };
  toServer.send(gap);
  await vi.waitFor(() => expect(trace.lines({ [value.id]: "Value" }).length).toBeGreaterThanOrEqual(1));
  await settle(server, late);
  expect(trace.lines({ [value.id]: "Value" })).toEqual(["server -> late | error   Value Gap", "server -> late | known   Value header 2 correction"]);
  expect(await server.storage?.knownState(value.id)).toEqual({ id: value.id, header: true, sessions: { [session.sessionId]: 2 } });
});

test("trace: a tampered signature gets an error notice and nothing is stored", async () => {
  const trace = createMessageTrace();
  const server = await createTestNode();
  const mallory = await createTestNode();
  const { toServer } = link(mallory, server, { trace, names: { client: "mallory", server: "server" } });
  const notices: unknown[] = [];
  const source = await createTestNode();
  const value = source.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting(["genuine"]);
  source.sealLocalWrites();
  const message = source.peekEntry(value.id)?.log?.contentSince(undefined)[0] as ContentMessage;
  const [sessionId, piece] = Object.entries(message.new)[0] as [string, ContentMessage["new"][never]];
  const forged = { ...message, new: { [sessionId]: { ...piece, newTransactions: [{ ...piece.newTransactions[0], changes: '["forged"]' }] } } };
  toServer.onNotice((notice) => notices.push(notice));
  trace.clear();
  toServer.send(forged as ContentMessage);
  await vi.waitFor(() => expect(notices).toHaveLength(1));
  await settle(server);
  expect(notices[0]).toMatchObject({ error: { code: "InvalidSignature", id: value.id, session: sessionId } });
  expect(await server.storage?.knownState(value.id)).toEqual({ id: value.id, header: true, sessions: {} });
  expect(trace.lines({ [value.id]: "Value" })).toEqual([
    "server -> mallory | error   Value InvalidSignature",
    "server -> mallory | known   Value header none",
  ]);
});

test("trace: a large value streams in pieces cut at signatures, header and target on the first", async () => {
  const trace = createMessageTrace();
  const { server, value } = await aliceSyncsAValue(
    (value) => {
      trace.clear();
      const big = "y".repeat(1000);
      for (let i = 0; i < 300; i++) value.writeTrusting([big]);
    },
    { trace, type: "costream" },
  );
  const bobTrace = createMessageTrace();
  const bob = await bobLoads(server, value.id, bobTrace);
  const contents = bobTrace.lines({ [value.id]: "Stream" }).filter((line) => line.includes("content"));
  expect(contents.length).toBeGreaterThan(1);
  expect(contents[0]).toMatch(/^server -> bob \| content Stream header 0\+\d+ p3 until 300$/);
  for (const line of contents.slice(1)) expect(line).not.toMatch(/header|until/);
  expect(bob.get(value.id)?.knownState()).toEqual(value.knownState());
});

test("streaming: a receiver knows a value is still streaming until the announced target arrived", async () => {
  const { server, value } = await aliceSyncsAValue(
    (value) => {
      const big = "s".repeat(1000);
      for (let i = 0; i < 300; i++) value.writeTrusting([big]);
    },
    { type: "costream" },
  );

  const bob = await createTestNode();
  const { toClient } = link(bob, server, { names: { client: "bob", server: "server" } });
  const release = toClient.hold();
  const loading = bob.load(value.id);
  // Deliver the server's answer piece by piece and watch bob's view after each.
  const streamingSeen: boolean[] = [];
  const entry = bob.entry(value.id);
  entry.listeners.add(() => streamingSeen.push(entry.isStreaming()));
  release();
  await loading;
  await vi.waitFor(() => expect(bob.get(value.id)?.knownState()).toEqual(value.knownState()));
  expect(streamingSeen[0]).toBe(true);
  expect(streamingSeen.at(-1)).toBe(false);
  expect(bob.get(value.id)?.isStreaming()).toBe(false);
});
