// Connection admission (capacity, authentication, bans) and per-account limits across connections.
import { type ContentMessage, type CoId, createTestClock, type LocalNode } from "@cosync/core";
import { expect, test, vi } from "vitest";
import { createTestNode, plainHeader, testCrypto } from "../../../tests/helpers/nodes.js";
import type { SyncServerOptions } from "./server-options.js";
import { type SyncServer, startSyncServer } from "./start-sync-server.js";
import { RawClient } from "./test-fixtures/raw-client.js";

function start(options: SyncServerOptions): Promise<SyncServer> {
  return startSyncServer({ port: 0, inMemory: true, clock: createTestClock(), log: { level: "silent" }, processMetrics: false, ...options });
}

async function freshContent(author: LocalNode, payload = "x"): Promise<{ id: CoId; message: ContentMessage }> {
  const value = author.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting([{ op: "set", key: "k", value: payload }]);
  author.sealLocalWrites();
  const message = author.peekEntry(value.id)?.log?.contentSince(undefined)[0];
  if (message === undefined) throw new Error("no content");
  return { id: value.id, message };
}

function forged(message: ContentMessage): ContentMessage {
  const [session, piece] = Object.entries(message.new)[0] as [string, ContentMessage["new"][never]];
  const tx = piece.newTransactions[0] as { changes: string };
  return { ...message, new: { [session]: { ...piece, newTransactions: [{ ...tx, changes: `${tx.changes.slice(0, -1)},"forged"]` } as never] } } };
}

function acked(client: RawClient, id: CoId) {
  return client.waitFor((entry) => entry.action === "known" && entry.id === id && Object.keys(entry.sessions as object).length > 0, `the ack of ${id}`);
}

async function metricsText(server: SyncServer): Promise<string> {
  const response = await fetch(`${server.url.replace("ws://", "http://")}/metrics`);
  return response.text();
}

test("admission: connections beyond maxConnections are refused with HTTP 503 until one closes", async () => {
  await using server = await start({ limits: { maxConnections: 2 } });
  const first = await RawClient.connect(server.url);
  await using _second = await RawClient.connect(server.url);
  await expect(RawClient.connect(server.url)).rejects.toMatchObject({
    statusCode: 503,
    body: JSON.stringify({ error: "the server has reached its limit of 2 connections" }),
  });
  expect(await metricsText(server)).toContain('cosync_connections_refused_total{reason="capacity"} 1');
  await first.close();
  await vi.waitFor(() => expect(server.node.syncManager.peers.size).toBe(1));
  await using _third = await RawClient.connect(server.url);
});

test("admission: the authenticate hook sees the URL; a refusal is HTTP 401 with its reason", async () => {
  const seen: string[] = [];
  await using server = await start({
    authenticate: (request) => {
      seen.push(request.url ?? "");
      const key = new URL(request.url ?? "/", "http://localhost").searchParams.get("key");
      return key === "s3cret" ? { ok: true } : { ok: false, reason: "missing or wrong ?key=" };
    },
  });
  await expect(RawClient.connect(`${server.url}/sync?key=wrong`)).rejects.toMatchObject({
    statusCode: 401,
    body: JSON.stringify({ error: "missing or wrong ?key=" }),
  });
  await using client = await RawClient.connect(`${server.url}/sync?key=s3cret`);
  const { id, message } = await freshContent(await createTestNode());
  client.send(message);
  await acked(client, id);
  expect(seen).toEqual(["/sync?key=wrong", "/sync?key=s3cret"]);
});

test("admission: an authenticate hook that throws refuses with HTTP 500; an async one works", async () => {
  let fail = true;
  await using server = await start({
    authenticate: async () => {
      if (fail) throw new Error("auth backend down");
      return { ok: true };
    },
  });
  await expect(RawClient.connect(server.url)).rejects.toMatchObject({ statusCode: 500 });
  fail = false;
  await using _client = await RawClient.connect(server.url);
});

test("admission: a connection authenticated as a banned account is refused with HTTP 403", async () => {
  const banned = "co_zBannedAccountxxxxxxxxxxxxx";
  await using server = await start({ limits: { bans: [banned] }, authenticate: () => ({ ok: true, accountId: banned }) });
  await expect(RawClient.connect(server.url)).rejects.toMatchObject({ statusCode: 403, body: JSON.stringify({ error: `${banned} is banned from this server` }) });
});

test("admission: the plain-HTTP paths do not upgrade", async () => {
  await using server = await start({});
  await expect(RawClient.connect(`${server.url}/health`)).rejects.toMatchObject({ statusCode: 404 });
});

/** Authenticates each connection as the account named in its URL's `as` parameter. */
const asNamedInUrl: SyncServerOptions["authenticate"] = (request) => {
  const accountId = new URL(request.url ?? "/", "http://x").searchParams.get("as");
  return accountId === null ? { ok: true } : { ok: true, accountId };
};

test("account limits: one authenticated account's message rate is shared by all its connections", async () => {
  await using server = await start({ limits: { account: { messages: { perSecond: 1, burst: 2 } } }, authenticate: asNamedInUrl });
  await using a = await RawClient.connect(`${server.url}/?as=co_zAlice`);
  await using b = await RawClient.connect(`${server.url}/?as=co_zAlice`);
  const author = await createTestNode();
  const [one, two, three] = [await freshContent(author), await freshContent(author), await freshContent(author)];
  a.send(one.message);
  await acked(a, one.id);
  b.send(two.message);
  await acked(b, two.id);
  a.send(three.message);
  const notice = await a.notice("RateLimited");
  expect(notice).toEqual({ code: "RateLimited", id: three.id, message: "account co_zAlice exceeds its messages rate; message dropped" });
  expect(await server.node.storage?.knownState(three.id)).toBeUndefined();
  // Another account, and an unauthenticated connection, are not affected.
  await using bob = await RawClient.connect(`${server.url}/?as=co_zBob`);
  const other = await freshContent(await createTestNode());
  bob.send(other.message);
  await acked(bob, other.id);
});

test("unauthenticated limits: connections without an account share one budget; authenticated ones are not in it", async () => {
  await using server = await start({ limits: { unauthenticated: { messages: { perSecond: 1, burst: 2 } } }, authenticate: asNamedInUrl });
  await using a = await RawClient.connect(server.url);
  await using b = await RawClient.connect(server.url);
  const author = await createTestNode();
  const [one, two, three] = [await freshContent(author), await freshContent(author), await freshContent(author)];
  a.send(one.message);
  await acked(a, one.id);
  b.send(two.message);
  await acked(b, two.id);
  b.send(three.message);
  const notice = await b.notice("RateLimited");
  expect(notice.message).toBe("unauthenticated connections together exceed the server's messages rate for them; message dropped");
  expect(await server.node.storage?.knownState(three.id)).toBeUndefined();
  await using alice = await RawClient.connect(`${server.url}/?as=co_zAlice`);
  alice.send(three.message);
  await acked(alice, three.id);
});

test("account limits: forged content in someone's session does not spend their budget", async () => {
  await using server = await start({ limits: { account: { messages: { perSecond: 1, burst: 1 } } } });
  const victim = await createTestNode();
  await using attacker = await RawClient.connect(server.url);
  await using honest = await RawClient.connect(server.url);
  const genuine = await freshContent(victim);
  attacker.send(forged(genuine.message));
  await attacker.notice("InvalidSignature");
  honest.send(genuine.message);
  await acked(honest, genuine.id);
});

test("account limits: a connection authenticated as an account spends that account's budget on every message", async () => {
  const accountId = "co_zAuthenticatedAccountxxxxxx";
  await using server = await start({ limits: { account: { messages: { perSecond: 1, burst: 2 } } }, authenticate: () => ({ ok: true, accountId }) });
  await using client = await RawClient.connect(server.url);
  const ids = [await freshContent(await createTestNode()), await freshContent(await createTestNode()), await freshContent(await createTestNode())].map((c) => c.id);
  client.send(...ids.map((id) => ({ action: "load", id, header: false, sessions: {} })));
  const notice = await client.notice("RateLimited");
  expect(notice).toEqual({ code: "RateLimited", id: ids[2], message: `account ${accountId} exceeds its messages rate; message dropped` });
});

test("quota: content beyond an authenticated account's storage quota gets QuotaExceeded and is not stored", async () => {
  // Connections have their own, larger quota here: the account's is the one that refuses.
  await using server = await start({ limits: { storageQuotaBytes: 2000, connectionQuotaBytes: 100_000 }, authenticate: asNamedInUrl });
  await using client = await RawClient.connect(`${server.url}/?as=co_zAlice`);
  await using again = await RawClient.connect(`${server.url}/?as=co_zAlice`);
  const author = await createTestNode();
  const first = await freshContent(author, "a".repeat(600));
  client.send(first.message);
  await acked(client, first.id);
  // Usage is the account's across its connections (header and transaction bytes).
  const second = await freshContent(author, "b".repeat(600));
  again.send(second.message);
  await acked(again, second.id);
  const third = await freshContent(author, "c".repeat(600));
  client.send(third.message);
  const notice = await client.notice("QuotaExceeded");
  expect(notice.id).toBe(third.id);
  expect(notice.message).toMatch(/^account co_zAlice would exceed its storage quota of 2000 bytes \(\d+ used, \d+ more sent\); content not stored$/);
  // At most its (small, verified) header was stored: none of its transactions.
  expect((await server.node.storage?.knownState(third.id))?.sessions ?? {}).toEqual({});
  // Resending what is already stored costs nothing.
  client.send(first.message);
  await client.waitFor((entry) => entry.action === "known" && entry.id === first.id && entry !== client.entries.find((e) => e.id === first.id), "a second ack");
  expect(client.entries.filter((entry) => entry.error?.code === "QuotaExceeded")).toHaveLength(1);
  // Another account has its own quota, whoever signed the content.
  await using bob = await RawClient.connect(`${server.url}/?as=co_zBob`);
  bob.send(third.message);
  await acked(bob, third.id);
});

test("quota: forged content is never charged, so it cannot use up someone else's quota", async () => {
  await using server = await start({ limits: { storageQuotaBytes: 1000 } });
  const victim = await createTestNode();
  await using attacker = await RawClient.connect(server.url);
  const genuine = await freshContent(victim, "v".repeat(800));
  attacker.send(forged(genuine.message));
  await attacker.notice("InvalidSignature");
  await using honest = await RawClient.connect(server.url);
  honest.send(genuine.message);
  await acked(honest, genuine.id);
});

test("quota: one connection's storage is bounded even when every owner is fresh (headers included)", async () => {
  await using server = await start({ limits: { connectionQuotaBytes: 2000 } });
  await using client = await RawClient.connect(server.url);
  const stored: CoId[] = [];
  let refusal: { code: string; message: string } | undefined;
  client.onEntry((entry) => {
    if (entry.error?.code === "QuotaExceeded") refusal ??= entry.error;
  });
  for (let i = 0; i < 10 && refusal === undefined; i++) {
    const content = await freshContent(await createTestNode(), "z".repeat(400));
    client.send(content.message);
    await client.waitFor((entry) => (entry.action === "known" && entry.id === content.id) || entry.error?.id === content.id, "an answer");
    if ((await server.node.storage?.knownState(content.id))?.sessions !== undefined) stored.push(content.id);
  }
  expect(refusal?.message).toMatch(/^this connection would exceed its storage quota of 2000 bytes \(\d+ used, \d+ more sent\); content not stored$/);
  expect(stored.length).toBeLessThan(5);
  // A new connection has its own budget (an honest bound per connection, documented as such).
  await using second = await RawClient.connect(server.url);
  const fresh = await freshContent(await createTestNode());
  second.send(fresh.message);
  await acked(second, fresh.id);
});

test("limits: a gapped decoy sent just ahead does not make over-quota content free (regression)", async () => {
  const { createTestClock } = await import("@cosync/core");
  const { RawClient } = await import("./test-fixtures/raw-client.js");
  const { createTestNode, plainHeader, testCrypto } = await import("../../../tests/helpers/nodes.js");
  await using server = await startSyncServer({
    port: 0,
    inMemory: true,
    clock: createTestClock(),
    log: { level: "silent" },
    processMetrics: false,
    limits: { storageQuotaBytes: 1000 },
  });
  const author = await createTestNode();
  const value = author.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting([{ op: "set", key: "k", value: "a".repeat(5000) }]);
  author.sealLocalWrites();
  const message = author.peekEntry(value.id)?.log?.contentSince(undefined)[0];
  if (message === undefined) throw new Error("no content");
  const [session, piece] = Object.entries(message.new)[0] as [string, (typeof message.new)[never]];
  const decoy = { ...message, new: { [session]: { ...piece, after: 1_000_000, newTransactions: [{ ...(piece.newTransactions[0] as object), changes: "[]" }] } } };
  await using client = await RawClient.connect(server.url);
  client.send(decoy, message);
  await client.waitFor((entry) => (entry as { error?: { code: string } }).error?.code === "QuotaExceeded", "a QuotaExceeded notice", 5000);
  // At most the (verified) header of the decoy is stored: no transaction of the over-quota content.
  expect((await server.node.storage?.knownState(value.id))?.sessions ?? {}).toEqual({});
});

test("limits: a header larger than maxHeaderBytes is refused with TooLarge and not stored", async () => {
  const { idForHeader } = await import("@cosync/core");
  const crypto = await testCrypto();
  await using server = await start({ limits: { maxHeaderBytes: 4096 } });
  await using client = await RawClient.connect(server.url);
  const header = { ...plainHeader(crypto), meta: { pad: "x".repeat(10_000) } };
  const id = idForHeader(header as never, (bytes) => crypto.provider.blake3(bytes));
  client.send({ action: "content", id, header, priority: 3, new: {} });
  const notice = await client.notice("TooLarge");
  expect(notice).toMatchObject({ id, message: expect.stringMatching(/^header of \d+ bytes exceeds the limit of 4096 bytes; not stored$/) });
  expect(await server.node.storage?.knownState(id)).toBeUndefined();
  expect(server.node.peekEntry(id)).toBeUndefined();
});

test("limits: per-account limits without an authenticate hook are named in a start-up warning (they would bind nobody)", async () => {
  const warnings: string[] = [];
  const logger = { debug() {}, info() {}, error() {}, warn: (_fields: object, message: string) => void warnings.push(message) };
  await using _unbound = await start({ logger, limits: { storageQuotaBytes: 1000 } });
  expect(warnings).toEqual([expect.stringMatching(/^per-account limits apply only to authenticated connections, and no authentication is on \(--auth/)]);
  warnings.length = 0;
  await using _bound = await start({ logger, limits: { storageQuotaBytes: 1000 }, authenticate: () => ({ ok: true }) });
  expect(warnings).toEqual([]);
});
