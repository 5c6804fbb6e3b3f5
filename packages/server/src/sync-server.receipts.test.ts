// Durability receipts end to end: the key is published and survives restarts, a receipt verifies
// and covers what the client wrote, any tampering fails, and nothing uncommitted is vouched for.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AppendChunk,
  type CoId,
  createMemoryStorage,
  type DurabilityReceipt,
  mintAuthToken,
  receiptCovers,
  signerSecretOfAgent,
  type StorageAdapter,
  verifyReceipt,
} from "@cosync/core";
import { fetchReceipt, fetchServerKey } from "@cosync/transport-ws";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { namedAccountNode, plainHeader, testCrypto } from "../../../tests/helpers/nodes.js";
import { startSyncServer } from "./start-sync-server.js";
import { bridgeNode } from "./test-fixtures/raw-client.js";

const quiet = { log: { level: "silent" }, processMetrics: false } as const;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cosync-receipts-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("durability receipts", () => {
  test("a receipt verifies under the published key, covers what was acknowledged, and the key survives a restart", async () => {
    const db = join(dir, "sync.db");
    const crypto = await testCrypto();
    const alice = await namedAccountNode("Alice");
    let receipt: DurabilityReceipt;
    let signer: Awaited<ReturnType<typeof fetchServerKey>>;
    let known: ReturnType<typeof alice.createGroup>["knownState"] extends () => infer K ? K : never;
    {
      await using server = await startSyncServer({ ...quiet, port: 0, db });
      await using _ = await bridgeNode(alice, server.url);
      const map = alice.createGroup().createMap({ total: 42 });
      await map.waitForSync({ timeoutMs: 10_000 });
      known = map.knownState();
      signer = await fetchServerKey({ url: server.url });
      receipt = await fetchReceipt({ url: server.url, id: map.id });
    }
    const verified = verifyReceipt(crypto, receipt, signer);
    expect(verified.ok).toBe(true);
    expect(verified.ok && receiptCovers(verified.value, known)).toBe(true);
    // The same key after a restart: old receipts stay verifiable, new ones are signed alike.
    await using again = await startSyncServer({ ...quiet, port: 0, db });
    expect(await fetchServerKey({ url: again.url })).toBe(signer);
    expect(verifyReceipt(crypto, await fetchReceipt({ url: again.url, id: known.id }), signer).ok).toBe(true);
  });

  test("changing any field of a receipt, or trusting another key, makes it fail", async () => {
    const crypto = await testCrypto();
    await using server = await startSyncServer({ ...quiet, port: 0, inMemory: true });
    const alice = await namedAccountNode("Alice");
    await using _ = await bridgeNode(alice, server.url);
    const map = alice.createGroup().createMap({ a: 1 });
    await map.waitForSync({ timeoutMs: 10_000 });
    const signer = await fetchServerKey({ url: server.url });
    const receipt = await fetchReceipt({ url: server.url, id: map.id });
    expect(verifyReceipt(crypto, receipt, signer).ok).toBe(true);
    const session = Object.keys(receipt.claims.sessions)[0] as string;
    const tampered: Array<[string, DurabilityReceipt]> = [
      ["id", { ...receipt, claims: { ...receipt.claims, id: alice.accountId as CoId } }],
      ["sessions", { ...receipt, claims: { ...receipt.claims, sessions: { ...receipt.claims.sessions, [session]: 99 } } }],
      ["storedAt", { ...receipt, claims: { ...receipt.claims, storedAt: receipt.claims.storedAt - 1 } }],
      ["purpose", { ...receipt, claims: { ...receipt.claims, purpose: "x" as never } }],
      ["signature", { ...receipt, signature: crypto.sign(signerSecretOfAgent(crypto.newRandomAgentSecret()), receipt.claims as never) }],
    ];
    for (const [field, changed] of tampered) expect(verifyReceipt(crypto, changed, signer), field).toMatchObject({ ok: false });
    const otherServer = crypto.signerId(signerSecretOfAgent(crypto.newRandomAgentSecret()));
    expect(verifyReceipt(crypto, receipt, otherServer)).toMatchObject({ ok: false, error: expect.stringMatching(/not by the expected server/) });
    await expect(fetchReceipt({ url: server.url, id: "co_zNotHere" as CoId })).rejects.toThrow(/400: .* is not a CoValue id/);
  });

  test("a receipt never vouches for content storage has not committed", async () => {
    const crypto = await testCrypto();
    const inner = createMemoryStorage();
    // Appends wait for `release` before reaching storage: the server holds the content in memory only.
    let held: Array<() => void> = [];
    let holding = false;
    const append = (chunk: AppendChunk) =>
      holding ? new Promise<Awaited<ReturnType<StorageAdapter["append"]>>>((resolve) => held.push(() => resolve(inner.append(chunk)))) : inner.append(chunk);
    const storage = new Proxy(inner, {
      get(target, property) {
        if (property === "append") return append;
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    await using server = await startSyncServer({ ...quiet, port: 0, storage });
    const alice = await namedAccountNode("Alice");
    await using _ = await bridgeNode(alice, server.url);
    const value = alice.createCoValue(plainHeader(crypto));
    value.writeTrusting([{ op: "set", key: "n", value: 1 }]);
    await value.waitForSync({ timeoutMs: 10_000 });
    const signer = await fetchServerKey({ url: server.url });
    const before = value.knownState();

    holding = true;
    value.writeTrusting([{ op: "set", key: "n", value: 2 }]);
    alice.sealLocalWrites();
    await vi.waitFor(() => expect(held.length).toBeGreaterThan(0));
    expect(server.node.get(value.id)?.knownState()).toEqual(value.knownState()); // in the server's memory…
    const early = verifyReceipt(crypto, await fetchReceipt({ url: server.url, id: value.id }), signer);
    expect(early.ok && receiptCovers(early.value, before)).toBe(true);
    expect(early.ok && receiptCovers(early.value, value.knownState())).toBe(false); // …but not vouched for

    for (const release of held) release();
    held = [];
    holding = false;
    await value.waitForSync({ timeoutMs: 10_000 });
    const late = verifyReceipt(crypto, await fetchReceipt({ url: server.url, id: value.id }), signer);
    expect(late.ok && receiptCovers(late.value, value.knownState())).toBe(true);
  });

  test("with auth required, receipts need a token", async () => {
    await using server = await startSyncServer({ ...quiet, port: 0, inMemory: true, auth: { mode: "required" } });
    const alice = await namedAccountNode("Alice");
    const token = mintAuthToken(await testCrypto(), { accountId: alice.accountId as CoId, agentSecret: alice.agentSecret, audience: server.url });
    await using _ = await bridgeNode(alice, `${server.url}/?auth=${token}`);
    const map = alice.createGroup().createMap({ a: 1 });
    await map.waitForSync({ timeoutMs: 10_000 });
    await expect(fetchReceipt({ url: server.url, id: map.id })).rejects.toThrow(/401: authentication required/);
    expect((await fetchReceipt({ url: server.url, id: map.id, token })).claims.id).toBe(map.id);
  });
});
