// Attack review of token auth, sign-up policy, receipts' HTTP routes and logs, over real WebSockets
// and real HTTP. Tests named "fixed" failed on the code before their fix (each asserts what must
// hold); tests named "refused" are attacks that were already stopped, kept for coverage.
import { mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  accountHeader,
  type AgentId,
  base64urlEncode,
  type CoId,
  createMemoryStorage,
  type LocalNode,
  type Logger,
  mintAuthToken,
  signerSecretOfAgent,
} from "@cosync/core";
import { writeFile } from "node:fs/promises";
import { describe, expect, test, vi } from "vitest";
import { namedAccountNode, plainHeader, testCrypto } from "../../../tests/helpers/nodes.js";
import { startSyncServer } from "./start-sync-server.js";
import { bridgeNode, RawClient } from "./test-fixtures/raw-client.js";

const quiet = { log: { level: "silent" }, processMetrics: false } as const;

async function tokenFor(node: LocalNode, audience: string, options: { accountId?: CoId; agentSecret?: LocalNode["agentSecret"] } = {}) {
  return mintAuthToken(await testCrypto(), { accountId: node.accountId as CoId, agentSecret: node.agentSecret, audience, ...options });
}

async function refusalOf(url: string): Promise<{ statusCode: number; body: string } | undefined> {
  return RawClient.connect(url).then(
    async (client) => {
      await client.close();
      return undefined;
    },
    (error: { statusCode?: number; body?: string }) => ({ statusCode: error.statusCode ?? 0, body: error.body ?? String(error) }),
  );
}

/** Every line a logger was given, as JSON text (fields and message). */
function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (fields: object, message: string) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields, (_key, value: unknown) => (value instanceof Error ? { message: value.message, stack: value.stack } : value))}`);
  };
  return { logger: { debug: record("debug"), info: record("info"), warn: record("warn"), error: record("error") }, lines };
}

function httpGet(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url.replace(/^ws/, "http"));
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method: "GET", headers }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("attack review: sign-up policy", () => {
  test("fixed: under closed sign-up, a held account uploads a brand-new account (agent sessions are unchecked), which then authenticates", async () => {
    const storage = createMemoryStorage();
    const alice = await namedAccountNode("Alice");
    {
      await using open = await startSyncServer({ ...quiet, port: 0, storage, auth: { mode: "required" } });
      await using _ = await bridgeNode(alice, `${open.url}/?auth=${await tokenFor(alice, open.url)}`);
      await alice.syncManager.waitForAllSynced({ timeoutMs: 10_000 });
    }
    await using server = await startSyncServer({ ...quiet, port: 0, storage, auth: { mode: "required", signup: "closed" } });
    // Sock-puppet: an account created offline; closed sign-up refuses it…
    const puppet = await namedAccountNode("Puppet");
    expect((await refusalOf(`${server.url}/?auth=${await tokenFor(puppet, server.url)}`))?.body).toMatch(/takes no new accounts/);
    // …but Alice's authenticated connection may write agent sessions and headers of any value:
    // she uploads the puppet's account CoValue (header + its founding agent's session).
    await using client = await RawClient.connect(`${server.url}/?auth=${await tokenFor(alice, server.url)}`);
    for (const message of puppet.entry(puppet.accountId as CoId).log?.contentSince(undefined) ?? []) client.send(message);
    await client.waitFor((entry) => (entry.id === puppet.accountId && entry.action === "known") || entry.error?.id === puppet.accountId, "the server's answer");
    // What should hold: the puppet account is not stored, and its token is still refused.
    const stored = await storage.knownState(puppet.accountId as CoId);
    const puppetNow = await refusalOf(`${server.url}/?auth=${await tokenFor(puppet, server.url)}`);
    expect({ stored: stored !== undefined, refusedNow: puppetNow !== undefined }).toEqual({ stored: false, refusedNow: true });
  });

  test("fixed: invite sign-up has the same bypass: one invited account mints any number of accounts, each with a fresh storage quota", async () => {
    await using server = await startSyncServer({ ...quiet, port: 0, inMemory: true, auth: { mode: "required", signup: "invite" }, limits: { storageQuotaBytes: 64 * 1024 } });
    const alice = await namedAccountNode("Alice");
    await using _alice = await bridgeNode(alice, `${server.url}/?auth=${await tokenFor(alice, server.url)}&signup=${server.issueSignupToken(60_000)}`);
    await alice.createGroup().createMap({ hello: "x" }).waitForSync({ timeoutMs: 10_000 });
    let admitted = 0;
    for (let i = 0; i < 3; i++) {
      const puppet = await namedAccountNode(`Puppet${i}`);
      for (const message of puppet.entry(puppet.accountId as CoId).log?.contentSince(undefined) ?? []) _alice.raw.send(message);
      await _alice.raw.waitFor((entry) => (entry.id === puppet.accountId && entry.action === "known") || entry.error?.id === puppet.accountId, "the server's answer");
      // No ?signup= token: the puppet should need an invitation of its own.
      if ((await refusalOf(`${server.url}/?auth=${await tokenFor(puppet, server.url)}`)) === undefined) admitted++;
    }
    expect(admitted).toBe(0);
  });

  test("fixed: squatting: uploading only a victim's account header (computable from its public agent id) locks the victim out under open sign-up", async () => {
    await using server = await startSyncServer({ ...quiet, port: 0, inMemory: true, auth: { mode: "required", signup: "open" } });
    const mallory = await namedAccountNode("Mallory");
    const victim = await namedAccountNode("Victim");
    // Mallory knows only the victim's agent id (public: in every session id it writes, in groups).
    const header = accountHeader(victim.agentId as AgentId);
    await using client = await RawClient.connect(`${server.url}/?auth=${await tokenFor(mallory, server.url)}`);
    client.send({ action: "content", id: victim.accountId, header, priority: 0, new: {} });
    await client.waitFor((entry) => (entry.id === victim.accountId && entry.action === "known") || entry.error?.id === victim.accountId, "the server's answer");
    // The victim, signing up with its own founding agent, should be admitted.
    const outcome = await refusalOf(`${server.url}/?auth=${await tokenFor(victim, server.url)}`);
    expect(outcome?.body).toBeUndefined();
  });

  test("refused: a token naming a group (not an account) the agent administers", async () => {
    await using server = await startSyncServer({ ...quiet, port: 0, inMemory: true, auth: { mode: "required" } });
    const alice = await namedAccountNode("Alice");
    await using _alice = await bridgeNode(alice, `${server.url}/?auth=${await tokenFor(alice, server.url)}`);
    const group = alice.createGroup();
    await group.createMap({ a: 1 }).waitForSync({ timeoutMs: 10_000 });
    const outcome = await refusalOf(`${server.url}/?auth=${await tokenFor(alice, server.url, { accountId: group.id })}`);
    expect(outcome?.body).toMatch(/is not an account/);
  });

  test("refused: a token naming someone else's held account, signed by the attacker's own agent", async () => {
    await using server = await startSyncServer({ ...quiet, port: 0, inMemory: true, auth: { mode: "required" } });
    const alice = await namedAccountNode("Alice");
    const mallory = await namedAccountNode("Mallory");
    await using _alice = await bridgeNode(alice, `${server.url}/?auth=${await tokenFor(alice, server.url)}`);
    await alice.syncManager.waitForAllSynced({ timeoutMs: 10_000 });
    const outcome = await refusalOf(`${server.url}/?auth=${await tokenFor(mallory, server.url, { accountId: alice.accountId as CoId })}`);
    expect(outcome?.body).toMatch(/not an agent of account/);
    // …and of an account the server doesn't hold (not its founder).
    const carol = await namedAccountNode("Carol");
    expect((await refusalOf(`${server.url}/?auth=${await tokenFor(mallory, server.url, { accountId: carol.accountId as CoId })}`))?.body).toMatch(
      /did not found account/,
    );
  });

  test("refused: a durability receipt (signed by the server key) passed off as a sign-up token; garbage and oversized tokens", async () => {
    await using server = await startSyncServer({ ...quiet, port: 0, inMemory: true, auth: { mode: "optional", signup: "invite" } });
    const alice = await namedAccountNode("Alice");
    const invitation = server.issueSignupToken(60_000);
    await using _alice = await bridgeNode(alice, `${server.url}/?auth=${await tokenFor(alice, server.url)}&signup=${invitation}`);
    const map = alice.createGroup().createMap({ a: 1 });
    await map.waitForSync({ timeoutMs: 10_000 });
    const receipt = await httpGet(server.url, `/receipts/${map.id}?auth=${await tokenFor(alice, server.url)}`);
    expect(receipt.status).toBe(200);
    const { claims, signature } = JSON.parse(receipt.body) as { claims: object; signature: string };
    const forged = `cosync-signup.${base64urlEncode(new TextEncoder().encode(JSON.stringify(claims)))}.${signature}`;
    const bob = await namedAccountNode("Bob");
    expect((await refusalOf(`${server.url}/?auth=${await tokenFor(bob, server.url)}&signup=${forged}`))?.body).toMatch(/not a sign-up token/);
    for (const garbage of ["x", "cosync-auth.%%%.sig", `cosync-auth.${"A".repeat(4000)}.x`, `cosync-auth.${Buffer.from("[[[[[[[[").toString("base64url")}.x`, "a".repeat(8000)]) {
      expect((await refusalOf(`${server.url}/?auth=${encodeURIComponent(garbage)}`))?.statusCode).toBe(401);
    }
  });

  test("refused: an authenticated connection relays another account's delete session", async () => {
    await using server = await startSyncServer({ ...quiet, port: 0, inMemory: true, auth: { mode: "required" } });
    const alice = await namedAccountNode("Alice");
    const bob = await namedAccountNode("Bob");
    await using _bob = await bridgeNode(bob, `${server.url}/?auth=${await tokenFor(bob, server.url)}`);
    const map = bob.createGroup().createMap({ keep: "me" });
    await map.waitForSync({ timeoutMs: 10_000 });
    await _bob.close();
    // Bob deletes offline; Mallory-as-Alice relays Bob's (validly signed) delete session.
    bob.deleteCoValue(map.id);
    bob.sealLocalWrites();
    await using client = await RawClient.connect(`${server.url}/?auth=${await tokenFor(alice, server.url)}`);
    for (const message of bob.entry(map.id).log?.contentSince(undefined) ?? []) client.send(message);
    const forbidden = await client.notice("Forbidden");
    expect(forbidden.session).toMatch(/_session_d\w+\$$/);
    const stored = await server.node.storage?.knownState(map.id);
    expect(Object.keys(stored?.sessions ?? {}).some((session) => session.endsWith("$"))).toBe(false);
  });
});

describe("attack review: pre-authentication work", () => {
  test("fixed: a stranger's self-signed token naming any stored value makes the server load it before refusing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cosync-attack-"));
    try {
      const file = join(dir, "sync.db");
      const alice = await namedAccountNode("Alice");
      let bigId: CoId;
      {
        await using first = await startSyncServer({ ...quiet, port: 0, db: file, auth: { mode: "required" } });
        await using _ = await bridgeNode(alice, `${first.url}/?auth=${await tokenFor(alice, first.url)}`);
        const big = alice.createCoValue(plainHeader(await testCrypto()));
        for (let i = 0; i < 50; i++) big.writeTrusting([{ op: "set", key: `k${i}`, value: "x".repeat(1000) }]);
        bigId = big.id;
        await big.waitForSync({ timeoutMs: 10_000 });
      }
      await using server = await startSyncServer({ ...quiet, port: 0, db: file, auth: { mode: "required", signup: "closed" } });
      expect(server.node.peekEntry(bigId)?.log).toBeUndefined();
      const stranger = await namedAccountNode("Stranger");
      const outcome = await refusalOf(`${server.url}/?auth=${await tokenFor(stranger, server.url, { accountId: bigId })}`);
      expect(outcome?.statusCode).toBe(401);
      // A stranger with no account here made the server read and hold a value it named.
      expect(server.node.peekEntry(bigId)?.log).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("attack review: receipts' HTTP route", () => {
  test("fixed: a malformed percent-escape in /receipts/<id> is a 500, and the caller's auth token is written to the error log", async () => {
    const { logger, lines } = capturingLogger();
    await using server = await startSyncServer({ processMetrics: false, logger, port: 0, inMemory: true, auth: { mode: "required" } });
    const alice = await namedAccountNode("Alice");
    const token = await tokenFor(alice, server.url);
    const answer = await httpGet(server.url, `/receipts/%E0%A4%A?auth=${token}`);
    const leaked = lines.filter((line) => line.includes(token.split(".")[2] as string));
    expect({ status: answer.status, leakedLines: leaked }).toEqual({ status: 400, leakedLines: [] });
  });

  test("refused: receipts without a token, with a forged one, path traversal and huge ids", async () => {
    await using server = await startSyncServer({ ...quiet, port: 0, inMemory: true, auth: { mode: "required" } });
    const alice = await namedAccountNode("Alice");
    expect((await httpGet(server.url, "/receipts/co_zabc")).status).toBe(401);
    const [p, payload] = (await tokenFor(alice, server.url)).split(".");
    const bob = await namedAccountNode("Bob");
    const sig = (await tokenFor(bob, server.url)).split(".")[2];
    expect((await httpGet(server.url, `/receipts/co_zabc?auth=${p}.${payload}.${sig}`)).status).toBe(401);
    const token = await tokenFor(alice, server.url);
    expect((await httpGet(server.url, `/receipts/..%2F..%2Fetc%2Fpasswd?auth=${token}`)).status).toBe(400);
    expect((await httpGet(server.url, `/receipts/co_z${"1".repeat(5000)}?auth=${token}`)).status).toBe(400);
    expect((await httpGet(server.url, `/receipts/co_z${"1".repeat(20_000)}`)).status).toBe(431);
    expect((await httpGet(server.url, "/health")).status).toBe(200);
  });
});

describe("attack review: logs", () => {
  test("fixed: refused upgrades log the raw account id (docs/auth.md: logs name an account only by a short hash)", async () => {
    const { logger, lines } = capturingLogger();
    const alice = await namedAccountNode("Alice");
    const bob = await namedAccountNode("Bob");
    await using server = await startSyncServer({
      processMetrics: false,
      logger,
      port: 0,
      inMemory: true,
      auth: { mode: "required", allowAccounts: [alice.accountId as string] },
    });
    expect((await refusalOf(`${server.url}/?auth=${await tokenFor(bob, server.url)}`))?.statusCode).toBe(401);
    await vi.waitFor(() => expect(lines.some((line) => line.includes("refused a connection"))).toBe(true));
    expect(lines.filter((line) => line.includes(bob.accountId as string))).toEqual([]);
  });
});

describe("attack review: receipts under other access controls", () => {
  test("fixed: with an `authenticate` hook refusing everyone, GET /receipts/<id> still answers anyone (session ids name every writer)", async () => {
    const storage = createMemoryStorage();
    const alice = await namedAccountNode("Alice");
    let id: CoId;
    {
      await using open = await startSyncServer({ ...quiet, port: 0, storage });
      await using _ = await bridgeNode(alice, open.url);
      const map = alice.createGroup().createMap({ secret: "meta" });
      id = map.id;
      await map.waitForSync({ timeoutMs: 10_000 });
    }
    await using server = await startSyncServer({ ...quiet, port: 0, storage, authenticate: () => ({ ok: false, reason: "members only" }) });
    expect((await refusalOf(server.url))?.statusCode).toBe(401);
    const answer = await httpGet(server.url, `/receipts/${id}`);
    expect({ status: answer.status, namesAlice: answer.body.includes(alice.accountId as string) }).toEqual({ status: 401, namesAlice: false });
  });

  test("fixed: a banned account, refused at the upgrade (403), still gets receipts over HTTP", async () => {
    const alice = await namedAccountNode("Alice");
    const bans = new Set<string>();
    await using server = await startSyncServer({ ...quiet, port: 0, inMemory: true, auth: { mode: "required" }, limits: { bans } });
    await using _alice = await bridgeNode(alice, `${server.url}/?auth=${await tokenFor(alice, server.url)}`);
    const map = alice.createGroup().createMap({ a: 1 });
    await map.waitForSync({ timeoutMs: 10_000 });
    bans.add(alice.accountId as string);
    const token = await tokenFor(alice, server.url);
    expect((await refusalOf(`${server.url}/?auth=${token}`))?.statusCode).toBe(403);
    expect((await httpGet(server.url, `/receipts/${map.id}?auth=${token}`)).status).toBe(403);
  });
});

describe("attack review: secrets in errors", () => {
  test("fixed: a NATS cluster URL's password is repeated in the start-up error", async () => {
    const attempt = startSyncServer({ ...quiet, port: 0, storage: createMemoryStorage(), cluster: "nats://cosync:hunter2-secret@127.0.0.1:1" });
    const error = await attempt.then(
      async (server) => {
        await server.close();
        return undefined;
      },
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/NATS/);
    expect(error?.message).not.toContain("hunter2-secret");
  });
});

describe("attack review: secrets in errors (server key)", () => {
  test("fixed: a server key file whose secret has a stray character repeats the secret in the start-up error", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cosync-key-"));
    try {
      const crypto = await testCrypto();
      const secret = signerSecretOfAgent(crypto.newRandomAgentSecret());
      const file = join(dir, "server-key.json");
      // A hand-edited file: a trailing space pasted after the secret.
      await writeFile(file, JSON.stringify({ signerSecret: `${secret} ` }), { mode: 0o600 });
      const error = await startSyncServer({ ...quiet, port: 0, inMemory: true, serverKeyFile: file }).then(
        async (server) => {
          await server.close();
          return undefined;
        },
        (e: Error) => e,
      );
      expect(error?.message).toMatch(/invalid signerSecret/);
      expect(error?.message).not.toContain(secret.slice("signerSecret_z".length, "signerSecret_z".length + 30));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("attack review: work done for content that can never be admitted", () => {
  test("fixed: an anonymous (read-only) connection's content is verified and parked before being refused", async () => {
    await using server = await startSyncServer({ ...quiet, port: 0, inMemory: true, auth: { mode: "optional" } });
    const alice = await namedAccountNode("Alice");
    const ghost = await namedAccountNode("Ghost"); // an account the server never saw
    const value = ghost.createCoValue(plainHeader(await testCrypto()));
    value.writeTrusting([{ op: "set", key: "k", value: "v" }]);
    ghost.sealLocalWrites();
    const [message] = ghost.entry(value.id).log?.contentSince(undefined) ?? [];
    const { header, ...rest } = message as unknown as { header: unknown } & Record<string, unknown>;
    // The value's header is stored (by an authenticated writer), so only sessions remain to send.
    await using writer = await RawClient.connect(`${server.url}/?auth=${await tokenFor(alice, server.url)}`);
    writer.send({ ...rest, header, new: {} });
    await writer.waitFor((entry) => entry.action === "known" && entry.id === value.id, "the header's ack");
    await using anonymous = await RawClient.connect(server.url);
    anonymous.send(rest);
    const first = await anonymous.waitFor((entry) => entry.error !== undefined || entry.action === "known", "an answer", 3000).catch(() => undefined);
    // A connection that may write nothing should hear Forbidden at once, before its content costs
    // signature checks or a place among the pieces waiting for unknown accounts (parking).
    expect({ firstAnswer: first?.error?.code, askedForTheSigner: anonymous.entries.some((e) => e.action === "load" && e.id === ghost.accountId) }).toEqual({
      firstAnswer: "Forbidden",
      askedForTheSigner: false,
    });
  });
});
