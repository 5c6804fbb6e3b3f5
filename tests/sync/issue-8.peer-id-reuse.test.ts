// Issue 8: per-peer sync state is keyed by the connection, not by its peer id. A new connection
// reusing a closed one's id inherits nothing from it, and a closed connection leaves nothing behind.
import { type ContentMessage, createLinkedChannels, type LinkedChannel } from "@cosync/core";
import { expect, test } from "vitest";
import { createAccountNode, createTestNode, plainHeader, testCrypto } from "../helpers/nodes.js";

type Message = { readonly action?: string; readonly id?: string; readonly sessions?: Record<string, number> };

/** The first message on `end` matching `match` (already received ones count); rejects after 5 s. */
function received(end: LinkedChannel, log: Message[], match: (message: Message) => boolean, what: string): Promise<Message> {
  const existing = log.find(match);
  if (existing !== undefined) return Promise.resolve(existing);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within 5 s; got ${JSON.stringify(log)}`)), 5000);
    const off = end.onMessage((message) => {
      if (!match(message as Message)) return;
      clearTimeout(timer);
      off();
      resolve(message as Message);
    });
  });
}

/** A channel pair to `node` whose far end the test drives by hand, recording what arrives. */
function manualPeer(ids: { near: string; far: string }, farRole: "server" | "client") {
  const [near, far] = createLinkedChannels({ aId: ids.near, bId: ids.far, aRole: farRole === "server" ? "client" : "server", bRole: farRole });
  const log: Message[] = [];
  far.onMessage((message) => log.push(message as Message));
  return { near, far, log, next: (match: (message: Message) => boolean, what: string) => received(far, log, match, what) };
}

async function contentOf() {
  const source = await createTestNode();
  const value = source.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting(["only the second connection of server a has this"]);
  source.sealLocalWrites();
  return { id: value.id, content: source.peekEntry(value.id)?.log?.contentSince(undefined) ?? [] };
}

test("issue 8: a server connection reusing a closed one's id is asked for pending loads and does not count as having answered", async () => {
  const client = await createTestNode({ sync: { loadRetries: 0 } });
  const { id, content } = await contentOf();
  const a1 = manualPeer({ near: "client", far: "a" }, "server");
  const b = manualPeer({ near: "client", far: "b" }, "server");
  client.syncManager.addPeer(a1.near);
  client.syncManager.addPeer(b.near);
  let settled = false;
  const loading = client.load(id).then((outcome) => {
    settled = true;
    return outcome;
  });
  await a1.next((m) => m.action === "load" && m.id === id, "load from the first connection of a");
  await b.next((m) => m.action === "load" && m.id === id, "load from b");

  a1.far.close();
  await a1.near.closed;
  const a2 = manualPeer({ near: "client", far: "a" }, "server");
  client.syncManager.addPeer(a2.near);
  await a2.next((m) => m.action === "load" && m.id === id, "the pending load asked of the new connection of a");

  // b has nothing; the load must go on waiting for a's new connection (the closed one's
  // "gone" must not count as the new one's answer).
  b.far.send({ action: "known", id, header: false, sessions: {} });
  const marker = (await contentOf()).id;
  b.far.send({ action: "load", id: marker, header: false, sessions: {} });
  await b.next((m) => m.action === "known" && m.id === marker, "the reply to b's marker load (b's messages are handled in order)");
  expect(settled).toBe(false);

  for (const message of content) a2.far.send(message as ContentMessage);
  expect((await loading).status).toBe("loaded");
});

test("issue 8: content parked by a connection that closed is dropped then, and never credited to a new connection with its id", async () => {
  const server = await createTestNode();
  const author = await createAccountNode();
  const accountId = author.accountId as NonNullable<typeof author.accountId>;
  const value = author.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting(["signed by an account the server does not know yet"]);
  author.sealLocalWrites();
  const valueContent = author.peekEntry(value.id)?.log?.contentSince(undefined) ?? [];
  const accountContent = author.peekEntry(accountId)?.log?.contentSince(undefined) ?? [];

  const c1 = manualPeer({ near: "server", far: "c" }, "client");
  server.syncManager.addPeer(c1.near);
  for (const message of valueContent) c1.far.send(message as ContentMessage);
  await c1.next((m) => m.action === "load" && m.id === accountId, "the server asking for the signer account");
  expect(server.peekEntry(value.id)?.parked.size).toBe(1);

  c1.far.close();
  await c1.near.closed;
  expect(server.peekEntry(value.id)?.parked.size ?? 0).toBe(0);

  const c2 = manualPeer({ near: "server", far: "c" }, "client");
  server.syncManager.addPeer(c2.near);
  for (const message of accountContent) c2.far.send(message as ContentMessage);
  await c2.next((m) => m.action === "known" && m.id === accountId && Object.keys(m.sessions ?? {}).length > 0, "the ack of the account");
  // One more round trip on c2, so anything replayed for the old connection would have been sent.
  c2.far.send({ action: "load", id: value.id, header: true, sessions: {} });
  await c2.next((m) => m.action === "known" && m.id === value.id, "the reply to c2's load of the value");
  expect(c2.log.filter((m) => m.action === "known" && m.id === value.id && Object.keys(m.sessions ?? {}).length > 0)).toEqual([]);
  expect(server.peekEntry(value.id)?.log?.knownState().sessions).toEqual({});
});
