import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { expect, test, vi } from "vitest";
import { CoCrypto } from "../crypto/co-crypto.js";
import { type CoValueHeader, idForHeader } from "../covalues/header.js";
import type { JsonValue } from "../encoding/canonical-json.js";
import { signerSecretOfAgent } from "../ids/agent-id.js";
import type { CoId } from "../ids/co-id.js";
import type { SessionId } from "../ids/session-id.js";
import { makeTrustingTransaction } from "../log/make-transaction.js";
import { VerifiedLog } from "../log/verified-log.js";
import { createAccountNode } from "../node/create-account-node.js";
import { CHECKPOINT_BYTES } from "../storage/storage-adapter.js";
import { fullContentCacheSize, fullContentOf } from "./full-content-cache.js";

test("a value's full content is the same message objects while it is unchanged, and rebuilt once it grows", async () => {
  const crypto = new CoCrypto(await loadNodeCryptoProvider());
  const node = createAccountNode({ crypto, gc: false, name: "writer" });
  const list = node.createGroup().createList();
  for (let i = 0; i < 20; i++) list.append(i);
  node.sealLocalWrites();
  const logOf = (id: CoId) => node.peekEntry(id)?.log ?? expect.fail(`${id} is not in memory`);

  const first = fullContentOf(logOf(list.id));
  expect(first).toEqual(logOf(list.id).contentSince(undefined));
  // Same objects: a transport that serialises each message once sends a warm load without encoding.
  expect(fullContentOf(logOf(list.id))).toBe(first);

  list.append("more");
  node.sealLocalWrites();
  const grown = fullContentOf(logOf(list.id));
  expect(grown).not.toBe(first);
  expect(grown).toEqual(logOf(list.id).contentSince(undefined));
  const sessions = Object.values(grown[0]?.new ?? {});
  expect(sessions.reduce((sum, piece) => sum + piece.newTransactions.length, 0)).toBe(21);
});

/** A log of one agent session holding `transactions`, each signed as its author would. */
function logWith(crypto: CoCrypto, header: CoValueHeader, transactions: Array<{ changes: JsonValue[]; meta?: Record<string, string> }>): VerifiedLog {
  const log = new VerifiedLog(idForHeader(header, (bytes) => crypto.provider.blake3(bytes)), header, crypto);
  const agent = crypto.newRandomAgentSecret();
  const session = log.session(`${crypto.agentId(agent)}_session_z${crypto.newSessionRandomPart()}` as SessionId);
  for (const { changes, meta } of transactions) session.appendOwn(makeTrustingTransaction(changes, Date.now(), meta), signerSecretOfAgent(agent), crypto);
  return log;
}

const plainMapHeader = (crypto: CoCrypto, meta?: Record<string, string>): CoValueHeader => ({
  type: "comap",
  ruleset: { type: "unsafeAllowAll" },
  meta: meta ?? null,
  createdAt: "2026-12-07T00:00:00.000Z",
  uniqueness: crypto.newUniqueness(),
});

test("the cache's budget counts everything cached (meta and headers too): 40 values of ~1.1 MB do not all stay", async () => {
  const crypto = new CoCrypto(await loadNodeCryptoProvider());
  const logs = Array.from({ length: 40 }, () => logWith(crypto, plainMapHeader(crypto, { pad: "h".repeat(60_000) }), [{ changes: [], meta: { pad: "m".repeat(1_000_000) } }]));
  const firsts = logs.map((log) => fullContentOf(log));
  const stillCached = logs.filter((log, index) => fullContentOf(log) === firsts[index]).length;
  expect(stillCached).toBeLessThanOrEqual(16);
  expect(fullContentCacheSize().bytes).toBeLessThanOrEqual(16 * 1024 * 1024);
});

test("a value's entry leaves the cache once its log is collected", async () => {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const crypto = new CoCrypto(await loadNodeCryptoProvider());
  const header = plainMapHeader(crypto);
  for (let i = 0; i < 1_000; i++) fullContentOf(new VerifiedLog(`co_z${i}` as CoId, header, crypto));
  const peak = fullContentCacheSize().entries;
  expect(peak).toBeGreaterThanOrEqual(1_000);
  // WeakRef targets live until the current job ends, and finalizers run in later tasks.
  await vi.waitFor(
    async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      gc();
      expect(fullContentCacheSize().entries).toBeLessThanOrEqual(peak - 1_000);
    },
    { timeout: 10_000, interval: 50 },
  );
});

test("thousands of tiny sessions are cut into messages near the checkpoint size, not one message", async () => {
  const crypto = new CoCrypto(await loadNodeCryptoProvider());
  const header = plainMapHeader(crypto);
  const log = new VerifiedLog(idForHeader(header, (bytes) => crypto.provider.blake3(bytes)), header, crypto);
  const agent = crypto.newRandomAgentSecret();
  for (let i = 0; i < 5_000; i++) {
    const session = log.session(`${crypto.agentId(agent)}_session_z${crypto.newSessionRandomPart()}` as SessionId);
    session.appendOwn(makeTrustingTransaction([], Date.now()), signerSecretOfAgent(agent), crypto);
  }
  const sizes = log.contentSince(undefined).map((message) => JSON.stringify(message).length);
  expect(sizes.length).toBeGreaterThan(5);
  expect(Math.max(...sizes)).toBeLessThan(2 * CHECKPOINT_BYTES);
});

test("a write signed after the cache was filled is in the next full content (signing alone changes the log)", async () => {
  const crypto = new CoCrypto(await loadNodeCryptoProvider());
  const log = logWith(crypto, plainMapHeader(crypto), [{ changes: ["first"] }]);
  const session = [...log.sessions.values()][0];
  if (session === undefined) throw new Error("no session");
  const agent = crypto.newRandomAgentSecret();
  session.appendOwnUnsigned(makeTrustingTransaction(["second"], Date.now()), signerSecretOfAgent(agent), crypto);
  const count = (messages: ReturnType<typeof fullContentOf>) => messages.reduce((sum, m) => sum + Object.values(m.new).reduce((n, p) => n + p.newTransactions.length, 0), 0);
  expect(count(fullContentOf(log))).toBe(1); // only signed content is sent
  session.signPending(signerSecretOfAgent(agent), crypto);
  expect(count(fullContentOf(log))).toBe(2);
});
