import { createMemoryStorage, createTestClock } from "@cosync/core";
import { expect, test, vi } from "vitest";
import { connect, createTestNode, link, plainHeader, testCrypto } from "../helpers/nodes.js";
import { createMessageTrace } from "../helpers/trace.js";

test("unsynced tracker: a write made offline is marked in storage right after it (no timer), and pushed after a restart", async () => {
  const clock = createTestClock();
  const storage = createMemoryStorage();
  const crypto = await testCrypto();
  const offline = await createTestNode({ storage, clock });
  const value = offline.createCoValue(plainHeader(crypto));
  value.writeTrusting(["written offline"]);
  offline.sealLocalWrites();
  expect(offline.syncManager.unsynced.ids()).toEqual([value.id]);
  // No clock advance: a reload straight after the write (a browser tab) must still find the mark.
  await vi.waitFor(async () => expect(await storage.listUnsynced()).toEqual([{ id: value.id, peerId: "any" }]));
  const marksWritten = vi.spyOn(storage, "markUnsynced");
  for (let i = 0; i < 5; i++) value.writeTrusting([`more ${i}`]);
  offline.sealLocalWrites();
  clock.advance(200);
  await offline.syncManager.unsynced.flush();
  expect(marksWritten).not.toHaveBeenCalled(); // the value is marked already: later writes cost nothing
  await offline.close();

  // A new process on the same storage, now with a server: the value is pushed and acknowledged.
  const restarted = await createTestNode({ storage, clock });
  const server = await createTestNode();
  connect(restarted, server);
  await vi.waitFor(() => expect(server.get(value.id)?.knownState()).toEqual(value.knownState()));
  await restarted.syncManager.waitForAllSynced();
  expect(restarted.syncManager.unsynced.ids()).toEqual([]);
  clock.advance(200);
  await vi.waitFor(async () => expect(await storage.listUnsynced()).toEqual([]));
});

test("dependencies: content signed in an unknown account's session is parked, the account requested from the sender, then applied", async () => {
  const { createAccountNode } = await import("../helpers/nodes.js");
  const trace = createMessageTrace();
  const alice = await createAccountNode();
  const value = alice.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting(["needs my account to verify"]);
  alice.sealLocalWrites();
  const server = await createTestNode();
  // Link without letting alice greet the server first, then send only the value's content.
  const { toServer } = link(alice, server, { trace, names: { client: "alice", server: "server" } });
  const content = alice.peekEntry(value.id)?.log?.contentSince(undefined) ?? [];
  trace.clear();
  for (const message of content) toServer.send(message);
  await vi.waitFor(() => expect(server.get(value.id)?.knownState()).toEqual(value.knownState()));
  const lines = trace.lines({ [value.id]: "Value", [alice.accountId as string]: "Account" });
  expect(lines).toContain("server -> alice | load    Account no header none");
  expect(lines.indexOf("alice -> server | content Account header 0+1 p0")).toBeLessThan(lines.indexOf("server -> alice | known   Value header 1"));
});

test("priorities: a congested link delivers accounts and groups before data before binary", async () => {
  const crypto = await testCrypto();
  const server = await createTestNode();
  const writer = await createTestNode();
  connect(writer, server);
  const binary = writer.createCoValue({ ...plainHeader(crypto, "costream"), meta: { type: "binary" } });
  const data = writer.createCoValue(plainHeader(crypto));
  const group = writer.createCoValue({ ...plainHeader(crypto), ruleset: { type: "group", initialAdmin: writer.agentId } });
  for (const value of [binary, data, group]) value.writeTrusting(["x"]);
  await writer.syncManager.waitForAllSynced();

  const reader = await createTestNode();
  const { toServer, toClient } = link(reader, server);
  const release = toClient.hold();
  const received: string[] = [];
  toServer.onMessage((message) => {
    const m = message as { action: string; id: string; priority?: number };
    if (m.action === "content") received.push(`${m.id === group.id ? "group" : m.id === data.id ? "data" : "binary"} p${m.priority}`);
  });
  const loads = [binary, data, group].map((value) => reader.load(value.id));
  // The server answers all three loads while its link is congested (it then assumes the reader
  // holds each value); only then does the link open.
  const readerOnServer = () => server.syncManager.peers.get("client");
  await vi.waitFor(() => {
    for (const value of [binary, data, group]) expect(readerOnServer()?.optimistic.get(value.id)?.header).toBe(true);
  });
  release();
  await Promise.all(loads);
  expect(received).toEqual(["group p0", "data p3", "binary p6"]);
});

test("dependencies: content whose signer never arrives is refused after the park timeout, and nothing of it is stored", async () => {
  const { createAccountNode } = await import("../helpers/nodes.js");
  const { createLinkedChannels, createTestClock } = await import("@cosync/core");
  const clock = createTestClock();
  const alice = await createAccountNode();
  const value = alice.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting(["signed in an account the server will never see"]);
  alice.sealLocalWrites();
  const server = await createTestNode({ clock, sync: { parkTimeoutMs: 30_000 } });
  // A bare client channel that never answers the server's request for the account.
  const [toServer, toClient] = createLinkedChannels({ aId: "silent", bId: "server", aRole: "client", bRole: "server" });
  server.syncManager.addPeer(toClient);
  const notices: Array<{ error: { code: string; message: string } }> = [];
  toServer.onNotice((notice) => notices.push(notice as never));
  const requests: unknown[] = [];
  toServer.onMessage((message) => requests.push(message));
  for (const message of alice.peekEntry(value.id)?.log?.contentSince(undefined) ?? []) toServer.send(message);
  await vi.waitFor(() => expect(requests).toContainEqual({ action: "load", id: alice.accountId, header: false, sessions: {} }));
  expect(notices).toEqual([]);
  clock.advance(30_000);
  await vi.waitFor(() => expect(notices).toHaveLength(1));
  expect(notices[0]?.error.code).toBe("UnknownSigner");
  expect(notices[0]?.error.message).toMatch(/did not arrive within 30000 ms/);
  expect(await server.storage?.knownState(value.id)).toEqual({ id: value.id, header: true, sessions: {} });
});

test("dependencies: at most maxParkedPerPeer pieces of one connection wait for their signers; more are refused at once", async () => {
  const { createAccountNode } = await import("../helpers/nodes.js");
  const { createLinkedChannels } = await import("@cosync/core");
  const alice = await createAccountNode();
  const value = alice.createCoValue(plainHeader(await testCrypto()));
  for (let i = 0; i < 10; i++) {
    value.writeTrusting([i]);
    alice.sealLocalWrites(); // one signed piece per write
  }
  const server = await createTestNode({ sync: { maxParkedPerPeer: 3 } });
  const [toServer, toClient] = createLinkedChannels({ aId: "silent", bId: "server", aRole: "client", bRole: "server" });
  server.syncManager.addPeer(toClient);
  const notices: Array<{ error: { code: string } }> = [];
  toServer.onNotice((notice) => notices.push(notice as never));
  const log = alice.peekEntry(value.id)?.log;
  const session = [...(log?.sessions.values() ?? [])][0];
  if (log === undefined || session === undefined) throw new Error("no log");
  // Ten one-transaction pieces, all signed in an account the server does not know.
  for (let i = 0; i < 10; i++) {
    const piece = { after: i, newTransactions: [session.transactions[i] as never], lastSignature: session.checkpoints.get(i) ?? (session.lastSignature as never) };
    toServer.send({ action: "content", id: value.id, ...(i === 0 ? { header: log.header } : {}), priority: 3, new: { [session.sessionId]: piece } });
  }
  // Three wait; the fourth is refused for the connection's bound; the rest could never apply
  // (they start past what is held or waiting) and are refused before they wait.
  await vi.waitFor(() => expect(notices.map((n) => n.error.code)).toEqual(["RateLimited", ...Array(6).fill("Gap")]));
  expect(server.peekEntry(value.id)?.parked.size).toBe(3);
  expect(server.syncManager.parked.count).toBe(3);
});
