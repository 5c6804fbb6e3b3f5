// Attack: checkpoints (where the server may cut a session into pieces) and the cutting of content
// messages count only `changes` / `encryptedChanges` (transactionPayloadSize), not `meta` (nor
// `keyUsed`). Any peer — here an unauthenticated socket writing an agent session, which a blind
// server stores in any value — can append megabytes of meta to a victim's value in messages under
// maxMessageBytes; the server then holds them with no checkpoint and serves the victim's whole
// value to every fresh loader as ONE content message larger than a client's frame limit.
import { type AgentSecret, type CoId, type SessionId, SessionLog, type Signature, signerSecretOfAgent, makeTrustingTransaction, type TrustingTransaction } from "@cosync/core";
import { connectWebSocket } from "@cosync/transport-ws";
import { expect, test } from "vitest";
import { WebSocket } from "ws";
import { createTestNode } from "../helpers/nodes.js";
import { closedAfterEachTest, content, crypto, newAgent, sessionOf, within } from "../../packages/server/src/test-fixtures/attack-kit.js";

const { start, raw, victimWithValue, track } = closedAfterEachTest();

/** Pieces of one session, each validly signed at its end (as a real writer would send them). */
function signedPieces(sessionId: SessionId, agent: AgentSecret, batches: TrustingTransaction[][]) {
  const log = new SessionLog(sessionId, crypto.provider.createHashChain());
  return batches.map((batch) => {
    const after = log.count;
    for (const transaction of batch) log.appendOwn(transaction, signerSecretOfAgent(agent), crypto);
    return { after, newTransactions: batch, lastSignature: log.lastSignature as Signature };
  });
}

test("meta-heavy transactions written into a victim's value make it unloadable for fresh clients", async () => {
  const server = await start(); // defaults: maxMessageBytes 4 MiB, clients' maxFrameBytes 8 MiB
  const { map } = await victimWithValue(server);

  // Three messages of ~3.2 MiB each, under every incoming limit: tiny `changes`, 100 KB of meta each.
  const agent = newAgent();
  const session = sessionOf(crypto.agentId(agent));
  const batches = Array.from({ length: 3 }, (_, b) =>
    Array.from({ length: 32 }, (_, i) => makeTrustingTransaction([] as never, Date.now(), { pad: `${b}.${i}`.padEnd(100_000, "m") })),
  );
  const attacker = await raw(server);
  for (const piece of signedPieces(session, agent, batches)) {
    attacker.send(content(map.id as CoId, { [session]: piece }));
  }
  await within(
    attacker.waitFor((e) => e.action === "known" && e.id === map.id && (e.sessions as Record<string, number>)[session] === 96, "all three stored", 20_000),
    25_000,
    "the attacker's content acknowledged",
  );
  expect(attacker.entries.filter((e) => e.error !== undefined)).toEqual([]);

  // A raw loader sees the whole value as one message of ~10 MB.
  const loader = await raw(server);
  loader.send({ action: "load", id: map.id, header: false, sessions: {} });
  await loader.waitFor((e) => e.action === "done" && e.id === map.id, "the load answered", 20_000);
  const sizes = loader.entries.filter((e) => e.action === "content" && e.id === map.id).map((e) => JSON.stringify(e).length);
  console.log(`content messages for the victim's value: ${sizes.length}, largest ${(Math.max(...sizes) / 1e6).toFixed(1)} MB`);

  // A fresh honest cosync client (default 8 MiB frame limit) trying to load the victim's value.
  const reader = await createTestNode();
  const channel = await connectWebSocket({ url: server.url, WebSocket: WebSocket as never });
  track(async () => channel.close());
  reader.syncManager.addPeer(channel);
  const outcome = await within(
    Promise.race([reader.load(map.id as CoId).then((o) => o.status), channel.closed.then((r) => `connection closed ${r.code} ${r.reason}`)]),
    20_000,
    "the reader's load",
  ).catch((error: Error) => error.message);
  console.log(`fresh reader: ${outcome}`);

  // Expected: the server cuts what it serves into messages near CHECKPOINT_BYTES of real size.
  expect(Math.max(...sizes)).toBeLessThan(4 * 1024 * 1024);
  expect(outcome).toBe("loaded");
}, 90_000);
