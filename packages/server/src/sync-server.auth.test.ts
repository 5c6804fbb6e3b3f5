// Built-in token authentication over real WebSockets: who is refused (and why), what an
// authenticated connection may write, and a real cojson 0.20.19 client carrying its token in the URL.
import { type AgentId, type CoId, createMemoryStorage, type LocalNode, mintAuthToken } from "@cosync/core";
import { LocalNode as CojsonLocalNode } from "cojson";
import { WasmCrypto } from "cojson/crypto/WasmCrypto";
import { createWebSocketPeer } from "cojson-transport-ws";
import { createReconnectingConnection } from "@cosync/transport-ws";
import { describe, expect, test, vi } from "vitest";
import { WebSocket } from "ws";
import { createTestNode, namedAccountNode, plainHeader, testCrypto } from "../../../tests/helpers/nodes.js";
import { startSyncServer } from "./start-sync-server.js";
import type { TokenAuthOptions } from "./token-auth.js";
import { bridgeNode, RawClient } from "./test-fixtures/raw-client.js";

const quiet = { log: { level: "silent" }, processMetrics: false } as const;

async function authServer(auth: TokenAuthOptions) {
  return startSyncServer({ ...quiet, port: 0, inMemory: true, auth });
}

async function tokenFor(node: LocalNode, audience: string, options: { ttlMs?: number; now?: number; agentSecret?: LocalNode["agentSecret"] } = {}) {
  return mintAuthToken(await testCrypto(), { accountId: node.accountId as CoId, agentSecret: node.agentSecret, audience, ...options });
}

/** The HTTP status and reason of a refused upgrade. */
async function refusalOf(url: string): Promise<{ statusCode: number; body: string }> {
  const outcome = await RawClient.connect(url).then(
    async (client) => {
      await client.close();
      return undefined;
    },
    (error: { statusCode?: number; body?: string }) => error,
  );
  if (outcome?.statusCode === undefined) throw new Error(`${url} was not refused`);
  return { statusCode: outcome.statusCode, body: outcome.body ?? "" };
}

describe("auth required", () => {
  test("no token, an expired token, a token for another server, a forged signature: each refused with its reason", async () => {
    await using server = await authServer({ mode: "required" });
    const alice = await namedAccountNode("Alice");
    expect(await refusalOf(server.url)).toEqual({ statusCode: 401, body: expect.stringContaining("authentication required") });
    const expired = await tokenFor(alice, server.url, { ttlMs: 1000, now: Date.now() - 5000 });
    expect((await refusalOf(`${server.url}/?auth=${expired}`)).body).toMatch(/invalid token: the token expired/);
    const elsewhere = await tokenFor(alice, "wss://another.example");
    expect((await refusalOf(`${server.url}/?auth=${elsewhere}`)).body).toMatch(/is for .*another\.example.*not this server/);
    const mallory = await namedAccountNode("Mallory");
    const [prefix, payload] = (await tokenFor(alice, server.url)).split(".");
    const signature = (await tokenFor(mallory, server.url)).split(".")[2];
    expect((await refusalOf(`${server.url}/?auth=${prefix}.${payload}.${signature}`)).body).toMatch(/signature is not its agent's/);
    expect(server.node.storage === undefined || (await server.node.storage.knownState(alice.accountId as CoId)) === undefined).toBe(true);
  });

  test("an authenticated cosync client syncs; writing another account's session is refused and not stored", async () => {
    await using server = await authServer({ mode: "required" });
    const alice = await namedAccountNode("Alice");
    const bob = await namedAccountNode("Bob");
    await using _alice = await bridgeNode(alice, `${server.url}/?auth=${await tokenFor(alice, server.url)}`);
    const map = alice.createGroup().createMap({ hello: "world" });
    await map.waitForSync({ timeoutMs: 10_000 });
    expect(await server.node.storage?.knownState(map.id)).toEqual(map.knownState());

    // Bob's account can't be brought in by Alice: a new account signs up over its own connection.
    const forbiddenAbout = (id: string) => _alice.raw.entries.find((entry) => entry.error?.code === "Forbidden" && entry.error.id === id);
    for (const message of bob.entry(bob.accountId as CoId).log?.contentSince(undefined) ?? []) _alice.raw.send(message);
    await vi.waitFor(() => expect(forbiddenAbout(bob.accountId as string)).toBeDefined());
    expect(forbiddenAbout(bob.accountId as string)?.error?.message).toMatch(/a new account \(co_z\w+\) signs up over its own connection/);
    expect(await server.node.storage?.knownState(bob.accountId as CoId)).toBeUndefined();
    {
      // Bob signs up himself…
      await using _bob = await bridgeNode(bob, `${server.url}/?auth=${await tokenFor(bob, server.url)}`);
      await bob.syncManager.waitForAllSynced({ timeoutMs: 10_000 });
    }
    // …and his value, relayed by Alice's connection, is refused: a stolen socket can't write as Bob.
    const bobsValue = bob.createCoValue(plainHeader(await testCrypto()));
    bobsValue.writeTrusting([{ op: "set", key: "by", value: "bob" }]);
    bob.sealLocalWrites();
    for (const message of bob.entry(bobsValue.id).log?.contentSince(undefined) ?? []) _alice.raw.send(message);
    await vi.waitFor(() => expect(forbiddenAbout(bobsValue.id)).toBeDefined());
    expect(forbiddenAbout(bobsValue.id)?.error?.message).toMatch(/authenticated as co_z\w+; it may not write sessions of co_z/);
    const stored = await server.node.storage?.knownState(bobsValue.id);
    expect(Object.keys(stored?.sessions ?? {})).toEqual([]);
  });

  test("a revoked agent's token is refused once the server holds the revocation", async () => {
    await using server = await authServer({ mode: "required" });
    const alice = await namedAccountNode("Alice");
    const oldAgent = alice.agentSecret;
    await using _ = await bridgeNode(alice, `${server.url}/?auth=${await tokenFor(alice, server.url)}`);
    // A second agent (a new device) joins the account; the first one revokes itself.
    const crypto = await testCrypto();
    const newAgent = crypto.newRandomAgentSecret();
    const account = alice.account;
    account?.addMember(crypto.agentId(newAgent) as AgentId, "admin");
    account?.removeMember(alice.agentId);
    await alice.syncManager.waitForAllSynced({ timeoutMs: 10_000 });
    expect(account?.roleOf(alice.agentId)).toBeUndefined();
    const stale = await tokenFor(alice, server.url, { agentSecret: oldAgent });
    expect((await refusalOf(`${server.url}/?auth=${stale}`)).body).toMatch(/agent \S+ is (revoked from|not an agent of) account/);
    const fresh = await tokenFor(alice, server.url, { agentSecret: newAgent });
    const client = await RawClient.connect(`${server.url}/?auth=${fresh}`);
    await client.close();
  });

  test("a real cojson 0.20.19 client with its token in the URL syncs with a cosync client", async () => {
    await using server = await authServer({ mode: "required" });
    const crypto = await WasmCrypto.create();
    // The account exists locally first; its token then goes into the connection URL.
    const created = await CojsonLocalNode.withNewlyCreatedAccount({ creationProps: { name: "Jazz" }, crypto });
    const token = mintAuthToken(await testCrypto(), { accountId: created.accountID as CoId, agentSecret: created.accountSecret as never, audience: server.url });
    const socket = new WebSocket(`${server.url}/?auth=${token}`);
    await new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    created.node.syncManager.addPeer(createWebSocketPeer({ id: "server", role: "server", websocket: socket as never }));
    const group = created.node.createGroup();
    group.addMember("everyone", "reader");
    const map = group.createMap();
    map.set("from", "cojson", "trusting");
    await map.core.waitForSync();
    const reader = await namedAccountNode("Reader");
    await using _ = await bridgeNode(reader, `${server.url}/?auth=${await tokenFor(reader, server.url)}`);
    const seen = await reader.loadMap(map.id as CoId);
    await vi.waitFor(() => expect(seen.get("from")).toBe("cojson"));
    await created.node.gracefulShutdown();
    socket.terminate();
  });
});

describe("a refused client hears why", () => {
  test("a reconnecting connection refused with HTTP 401 says why once (or to onConnectError), keeps it as lastError, and retries slowly", async () => {
    await using server = await authServer({ mode: "required" });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const connection = createReconnectingConnection({ url: server.url, WebSocket: WebSocket as never, onChannel: () => {}, backoff: { baseMs: 10, maxMs: 200 } });
      await vi.waitFor(() => expect(connection.lastError?.message).toMatch(/refused the connection with HTTP 401: authentication required/));
      await vi.waitFor(() => expect(warn).toHaveBeenCalledTimes(1));
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/HTTP 401: authentication required.*retrying/);
      await connection.stop();
      const delays: number[] = [];
      const handled = createReconnectingConnection({
        url: server.url,
        WebSocket: WebSocket as never,
        onChannel: () => {},
        backoff: { baseMs: 10, maxMs: 200 },
        onConnectError: (_error, _attempt, delayMs) => delays.push(delayMs),
      });
      await vi.waitFor(() => expect(delays.length).toBeGreaterThanOrEqual(2));
      await handled.stop();
      expect(delays.every((delay) => delay === 200)).toBe(true); // a refusal is retried at the slowest pace
      expect(warn).toHaveBeenCalledTimes(1); // with a handler, nothing goes to the console
    } finally {
      warn.mockRestore();
    }
  });
});

describe("sign-up, allow-list and anonymous access", () => {
  test("closed sign-up refuses accounts the server doesn't hold, and takes those it does", async () => {
    const storage = createMemoryStorage();
    const alice = await namedAccountNode("Alice");
    const bob = await namedAccountNode("Bob");
    {
      // Alice signed up while sign-up was open.
      await using open = await startSyncServer({ ...quiet, port: 0, storage, auth: { mode: "required" } });
      await using _ = await bridgeNode(alice, `${open.url}/?auth=${await tokenFor(alice, open.url)}`);
      await alice.syncManager.waitForAllSynced({ timeoutMs: 10_000 });
    }
    await using server = await startSyncServer({ ...quiet, port: 0, storage, auth: { mode: "required", signup: "closed" } });
    expect((await refusalOf(`${server.url}/?auth=${await tokenFor(bob, server.url)}`)).body).toMatch(/takes no new accounts/);
    const client = await RawClient.connect(`${server.url}/?auth=${await tokenFor(alice, server.url)}`);
    await client.close();
  });

  test("invite sign-up: a new account needs a sign-up token this server issued, unexpired", async () => {
    await using server = await authServer({ mode: "required", signup: "invite" });
    await using other = await authServer({ mode: "required", signup: "invite" });
    const alice = await namedAccountNode("Alice");
    const token = await tokenFor(alice, server.url);
    expect((await refusalOf(`${server.url}/?auth=${token}`)).body).toMatch(/need a sign-up token/);
    expect((await refusalOf(`${server.url}/?auth=${token}&signup=${other.issueSignupToken()}`)).body).toMatch(/not issued by this server/);
    await using _ = await bridgeNode(alice, `${server.url}/?auth=${token}&signup=${server.issueSignupToken(60_000)}`);
    const map = alice.createGroup().createMap({ joined: true });
    await map.waitForSync({ timeoutMs: 10_000 });
    // Once the account is held, its token alone is enough.
    const again = await RawClient.connect(`${server.url}/?auth=${await tokenFor(alice, server.url)}`);
    await again.close();
  });

  test("an allow-list admits only its accounts", async () => {
    const alice = await namedAccountNode("Alice");
    const bob = await namedAccountNode("Bob");
    await using server = await authServer({ mode: "required", allowAccounts: [alice.accountId as string] });
    const client = await RawClient.connect(`${server.url}/?auth=${await tokenFor(alice, server.url)}`);
    await client.close();
    expect((await refusalOf(`${server.url}/?auth=${await tokenFor(bob, server.url)}`)).body).toMatch(/not on this server's allow-list/);
  });

  test("optional auth: a tokenless connection reads but its writes are refused, and its app hears why", async () => {
    await using server = await authServer({ mode: "optional" });
    const alice = await namedAccountNode("Alice");
    await using _alice = await bridgeNode(alice, `${server.url}/?auth=${await tokenFor(alice, server.url)}`);
    const group = alice.createGroup();
    group.addMember("everyone", "reader");
    const map = group.createMap({ note: "public" });
    await map.waitForSync({ timeoutMs: 10_000 });

    const visitor = await createTestNode();
    await using _visitor = await bridgeNode(visitor, server.url);
    const seen = await visitor.loadMap(map.id);
    expect(seen.get("note")).toBe("public");
    const scribble = visitor.createCoValue(plainHeader(await testCrypto()));
    scribble.writeTrusting(["graffiti"]);
    await expect(scribble.waitForSync({ timeoutMs: 10_000 })).rejects.toThrow(/Forbidden.*may only read/);
    expect(await server.node.storage?.knownState(scribble.id)).toBeUndefined();
  });

  test("anonymous none: a tokenless connection is refused even in optional mode", async () => {
    await using server = await authServer({ mode: "optional", anonymous: "none" });
    expect((await refusalOf(server.url)).statusCode).toBe(401);
  });

  test("bad auth options are refused by name", async () => {
    await expect(startSyncServer({ ...quiet, port: 0, inMemory: true, auth: { mode: "sometimes" as never } })).rejects.toThrow(/auth.mode/);
    await expect(startSyncServer({ ...quiet, port: 0, inMemory: true, auth: { mode: "required", signup: "maybe" as never } })).rejects.toThrow(/auth.signup/);
    await expect(
      startSyncServer({ ...quiet, port: 0, inMemory: true, auth: { mode: "required" }, authenticate: () => ({ ok: true }) }),
    ).rejects.toThrow(/choose one/);
  });
});
