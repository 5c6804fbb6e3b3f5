// Security review regression tests: each drives a real server over real WebSockets with an attacker
// speaking raw wire frames, and asserts the secure behaviour. Each one failed when written.
import {
  type AgentSecret,
  type CoId,
  createTestClock,
  idForHeader,
  type SessionId,
  SessionLog,
  type SessionNewContent,
  signerSecretOfAgent,
} from "@cosync/core";
import { expect, test } from "vitest";
import { WebSocket } from "ws";
import { plainHeader } from "../../../tests/helpers/nodes.js";
import type { SyncServerOptions } from "./server-options.js";
import type { SyncServer } from "./start-sync-server.js";
import type { Entry, RawClient } from "./test-fixtures/raw-client.js";
import { blake3, closedAfterEachTest, content, crypto, expectHonestWriteAccepted, forgedPiece, isNotice, newAgent, sessionOf, signedPiece, tx, unknownId, within } from "./test-fixtures/attack-kit.js";

const { start, raw, track, victimWithValue } = closedAfterEachTest();

/** A socket that never parses what it receives (the attacker's own work must not slow the test process). */
async function quietSocket(server: SyncServer): Promise<WebSocket> {
  const ws = new WebSocket(server.url);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  track(async () => void ws.terminate());
  return ws;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Consecutive single-transaction pieces of one session, each signed as core signs them. */
function presignedPieces(sessionId: SessionId, agent: AgentSecret, count: number): SessionNewContent[] {
  const log = new SessionLog(sessionId, crypto.provider.createHashChain());
  const pieces: SessionNewContent[] = [];
  for (let index = 0; index < count; index++) {
    const transaction = tx([{ op: "set", key: `k${index}`, value: index }]);
    const { signature } = log.appendOwn(transaction, signerSecretOfAgent(agent), crypto);
    pieces.push({ after: index, newTransactions: [transaction], lastSignature: signature });
  }
  return pieces;
}

const sessionsOf = (entry: Entry) => (entry.sessions ?? {}) as Record<string, number>;

/** Sends a load for a made-up id and waits for its answer: everything `client` sent before is handled. */
async function settle(client: RawClient, timeoutMs = 10_000): Promise<void> {
  const probe = unknownId();
  client.send({ action: "load", id: probe, header: false, sessions: {} });
  await client.waitFor((entry) => entry.action === "known" && entry.id === probe, "the reply to the probe", timeoutMs);
}

/** A fresh value written by an honest raw client, one pre-signed transaction at a time; returns each ack's latency. */
async function honestWriter(server: SyncServer, count: number) {
  const client = await raw(server);
  const header = plainHeader(crypto);
  const id = idForHeader(header, blake3);
  client.send(content(id, {}, header));
  await client.waitFor((entry) => entry.action === "known" && entry.id === id, "the honest value's header acknowledged");
  const agent = newAgent();
  const session = sessionOf(crypto.agentId(agent));
  const pieces = presignedPieces(session, agent, count);
  let next = 0;
  const write = async (): Promise<number> => {
    const index = next++;
    const started = performance.now();
    client.send(content(id, { [session]: pieces[index] as SessionNewContent }));
    await client.waitFor(
      (entry) => (entry.action === "known" && entry.id === id && (sessionsOf(entry)[session] ?? 0) > index) || isNotice(entry),
      `the ack of honest write ${index}`,
      20_000,
    );
    return performance.now() - started;
  };
  return { client, write };
}

/** The longest the event loop went without running a 1 ms interval: how long everyone else waited. */
function blockMonitor() {
  let longest = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  return {
    stop: () => {
      clearInterval(timer);
      return longest;
    },
  };
}

/** What the server serves for `session` of `id`, as a fresh reader loads it. */
async function servedPiece(server: SyncServer, id: CoId, session: SessionId): Promise<SessionNewContent | undefined> {
  const reader = await raw(server);
  reader.send({ action: "load", id, header: false, sessions: {} });
  await reader.waitFor((entry) => (entry.action === "done" || entry.action === "known") && entry.id === id, `the load of ${id} answered`);
  const pieces = reader.entries
    .filter((entry) => entry.action === "content" && entry.id === id)
    .map((entry) => (entry.new as Record<string, SessionNewContent>)[session]);
  return pieces.find((piece) => piece?.after === 0);
}

/** The victim's signed piece of its session in its map, as anyone loading the map receives it. */
async function capturedVictimPiece(server: SyncServer, map: CoId, session: SessionId): Promise<SessionNewContent> {
  const piece = await servedPiece(server, map, session);
  return piece ?? expect.fail(`no piece of ${session} served for ${map}`);
}

/** Replays `piece` of `session` into `count` fresh values per connection, over `connections` connections. */
async function replayIntoFreshValues(
  server: SyncServer,
  session: SessionId,
  piece: SessionNewContent,
  connections: number,
  count: number,
): Promise<number> {
  let acknowledged = 0;
  for (let c = 0; c < connections; c++) {
    const attacker = await raw(server);
    const ids: CoId[] = [];
    for (let i = 0; i < count; i++) {
      const header = plainHeader(crypto);
      const id = idForHeader(header, blake3);
      ids.push(id);
      attacker.send(content(id, { [session]: piece }, header));
    }
    await settle(attacker);
    acknowledged += ids.filter((id) =>
      attacker.entries.some((entry) => entry.action === "known" && entry.id === id && (sessionsOf(entry)[session] ?? 0) > 0),
    ).length;
  }
  return acknowledged;
}

// ---- 1. Cross-value replay charges the victim ----------------------------------------------------

test("review: a victim's signed content replayed into other values does not use up the victim's storage quota", async () => {
  const server = await start({ limits: { storageQuotaBytes: 30_000 } });
  const victim = await victimWithValue(server);
  victim.map.set("big", "b".repeat(5000), "trusting");
  await within(victim.map.waitForSync(), 3000, "the victim's big write synced");
  // Anyone may load the map (the server is blind) and so holds the victim's signed piece. Its
  // signature covers the session's hash chain only, not the value it was written for.
  const piece = await capturedVictimPiece(server, victim.map.id, victim.victim.sessionId);
  const replayed = await replayIntoFreshValues(server, victim.victim.sessionId, piece, 3, 5);
  console.log(`replays accepted: ${replayed}, piece of ${JSON.stringify(piece).length} bytes`);
  // Without the replays the victim has used about 8 KB of its 30 KB: 5 KB more fit easily.
  await expectHonestWriteAccepted(victim, "v".repeat(5000));
});

test("review: a victim's signed content replayed into other values does not drain the victim's rate budget", async () => {
  const server = await start({ clock: createTestClock(), limits: { account: { messages: { perSecond: 1, burst: 10 } } } });
  const victim = await victimWithValue(server);
  const piece = await capturedVictimPiece(server, victim.map.id, victim.victim.sessionId);
  await replayIntoFreshValues(server, victim.victim.sessionId, piece, 1, 15);
  await expectHonestWriteAccepted(victim);
});

// ---- 2. Cross-value replay pre-empts a session: acked but not stored --------------------------------

test("review: a session replayed into another value does not make the server acknowledge the writer's different transactions unstored", async () => {
  const server = await start();
  // An honest writer (an agent; a LocalNode uses one session id for every value it writes, so an
  // account's sessions are exposed the same way) writes to value V, then later to shared value W.
  const writer = await raw(server);
  const agent = newAgent();
  const session = sessionOf(crypto.agentId(agent));
  const [headerV, headerW] = [plainHeader(crypto), plainHeader(crypto)];
  const [v, w] = [idForHeader(headerV, blake3), idForHeader(headerW, blake3)];
  const txV = tx([{ op: "set", key: "in V", value: "written for V" }]);
  const txW = tx([{ op: "set", key: "in W", value: "the honest write to W" }]);
  writer.send(content(v, { [session]: signedPiece(session, agent, [txV]) }, headerV), content(w, {}, headerW));
  await writer.waitFor((entry) => entry.action === "known" && entry.id === w, "W created");

  // The attacker copies the writer's V piece into W, before the writer writes there.
  const attacker = await raw(server);
  const copied = await capturedVictimPiece(server, v, session);
  attacker.send(content(w, { [session]: copied }));
  await settle(attacker);

  // The writer's own first transaction in W, validly signed for its (empty) session there.
  writer.send(content(w, { [session]: signedPiece(session, agent, [txW]) }));
  const outcome = await writer.waitFor(
    (entry) => (entry.action === "known" && entry.id === w && (sessionsOf(entry)[session] ?? 0) >= 1) || entry.error?.id === w,
    "the server's answer to the honest write in W",
  );
  if (outcome.action === "known") {
    // Acknowledged: then what a reader gets must be what the writer wrote.
    const served = await servedPiece(server, w, session);
    expect(
      served?.newTransactions.map((t) => ("changes" in t ? t.changes : undefined)),
      "what the server serves for the acknowledged write",
    ).toEqual([txW.changes]);
  }
});

// ---- 3. Verification work per message is unbounded ------------------------------------------------

test("review: one content message with thousands of forged sessions does not freeze other connections", async () => {
  const server = await start({ limits: { connection: { messages: { perSecond: 200, burst: 200 } } } });
  const honest = await honestWriter(server, 3000);
  for (let i = 0; i < 10; i++) await honest.write(); // warm-up
  // ~3.8 MB, under the 4 MiB message limit: one message, one rate token, 10,000 signature checks.
  const owner = crypto.agentId(newAgent());
  const pieces: Record<string, SessionNewContent> = {};
  for (let i = 0; i < 10_000; i++) pieces[sessionOf(owner)] = forgedPiece([tx([{ op: "set", key: "k", value: i }])]);
  // Aimed at a value of the attacker's own (content for a value the server lacks is dropped early).
  const attacker = await raw(server);
  const header = plainHeader(crypto);
  const target = idForHeader(header, blake3);
  attacker.send(content(target, {}, header));
  await settle(attacker);
  const frame = JSON.stringify(content(target, pieces));
  expect(frame.length).toBeLessThan(4 * 1024 * 1024);
  let handledMs: number | undefined;
  const sentAt = performance.now();
  // One connection's messages are handled in order: the answer to a load sent right after the big
  // message comes once all of its sessions were handled (they are answered a step at a time).
  const probe = unknownId();
  void attacker
    .waitFor((entry) => entry.action === "known" && entry.id === probe, "the big message handled", 30_000)
    .then(() => {
      handledMs = performance.now() - sentAt;
    });
  attacker.sendText(frame);
  attacker.send({ action: "load", id: probe, header: false, sessions: {} });
  // Honest writes back to back (no pause between an ack and the next write), until it was handled.
  const latencies: number[] = [];
  while (handledMs === undefined && latencies.length < 2900) latencies.push(await honest.write());
  const worst = Math.max(...latencies);
  console.log(
    `honest ack latency while one 10,000-session message is handled (in ${handledMs?.toFixed(0)} ms): worst ${worst.toFixed(1)} ms over ${latencies.length} writes`,
  );
  // Before the fix the 10,000 verifications ran in one go, so an honest write waited for all of
  // them: its worst latency was the whole handling time (840–1,450 ms then). What remains in one
  // piece is parsing and validating the 3.8 MB message (~125 ms alone on this 2-core machine,
  // twice that beside the rest of the suite); verification yields every 64 sessions. The bound is
  // the handling time less half of what the 10,000 checks cost here now (measured in this run, so
  // it holds however loaded the machine is): a write that waited for the checks would exceed it.
  expect(handledMs).toBeDefined();
  expect(worst).toBeLessThan((handledMs as number) - checksMs() / 2);
});

/** What 10,000 failing signature checks cost in this process now (ms), from 2,000 of them. */
function checksMs(): number {
  const { publicKey, secretKey } = crypto.provider.ed25519KeyPair(crypto.provider.randomBytes(32));
  const signature = crypto.provider.ed25519Sign(secretKey, new TextEncoder().encode('"hash_zother"'));
  const message = new TextEncoder().encode('"hash_zforged"');
  const started = performance.now();
  for (let i = 0; i < 2_000; i++) if (crypto.provider.ed25519Verify(publicKey, message, signature)) throw new Error("a forged signature verified");
  return (performance.now() - started) * 5;
}

// ---- 4. reconcile is unbounded -----------------------------------------------------------------------

test("review: a reconcile batch naming 60,000 values does not make the server send 60,000 loads", async () => {
  const server = await start();
  const writer = await raw(server);
  const header = plainHeader(crypto);
  const id = idForHeader(header, blake3);
  writer.send(content(id, {}, header));
  await writer.waitFor((entry) => entry.action === "known" && entry.id === id, "the value stored");
  // docs/protocol.md: batches hold at most 100 pairs. This one is 2.3 MB, one message, one token.
  const values = Array.from({ length: 60_000 }, () => [id, "x"]);
  const attacker = await quietSocket(server);
  let loads = 0;
  let acked!: () => void;
  const ack = new Promise<void>((resolve) => {
    acked = resolve;
  });
  attacker.on("message", (data) => {
    const text = String(data);
    loads += text.split('"action":"load"').length - 1;
    if (text.includes('"reconcile-ack"')) acked();
  });
  const monitor = blockMonitor();
  attacker.send(JSON.stringify({ action: "reconcile", id: "batch-1", values }));
  await within(ack, 20_000, "the reconcile-ack").catch(() => undefined);
  const blocked = monitor.stop();
  console.log(`one reconcile message: ${loads} loads sent back, event loop blocked up to ${blocked.toFixed(0)} ms`);
  expect(loads).toBeLessThanOrEqual(100);
});

// ---- 5. Per-peer known states for made-up ids -------------------------------------------------------

test("review: known and load messages naming made-up values do not grow the connection's state without bound", async () => {
  const server = await start();
  const attacker = await raw(server);
  const sessions = () => Object.fromEntries(Array.from({ length: 10 }, () => [sessionOf(unknownId()), 1_000_000]));
  for (let frame = 0; frame < 50; frame++) {
    const messages: unknown[] = [];
    for (let i = 0; i < 100; i++) {
      const action = i % 2 === 0 ? "known" : "load";
      messages.push({ action, id: unknownId(), header: action === "known", sessions: sessions() });
    }
    attacker.send(...messages);
  }
  await settle(attacker, 30_000);
  let confirmed = 0;
  let optimistic = 0;
  for (const peer of server.node.syncManager.peers.values()) {
    confirmed = Math.max(confirmed, peer.confirmed.size);
    optimistic = Math.max(optimistic, peer.optimistic.size);
  }
  console.log(`5,000 messages about made-up values: ${confirmed} confirmed and ${optimistic} optimistic states kept for the connection`);
  // Made-up ids the server does not hold: nothing (or a small bounded number) may be kept per connection.
  expect(confirmed).toBeLessThanOrEqual(1000);
  expect(optimistic).toBeLessThanOrEqual(1000);
});

// ---- 6. Entries for made-up signer accounts leak when parking is refused ----------------------------

test("review: pieces refused before parking leave no entries behind for their made-up signer accounts", async () => {
  const server = await start({ limits: { maxParkedPerConnection: 10 } });
  const attacker = await raw(server);
  const before = [...server.node.allEntries()].length;
  // (a) 300 sessions of made-up accounts that start after a transaction nobody holds: refused (Gap).
  const gapHeader = plainHeader(crypto);
  const gaps = Object.fromEntries(Array.from({ length: 300 }, () => [sessionOf(unknownId()), forgedPiece([tx()], 1)]));
  attacker.send(content(idForHeader(gapHeader, blake3), gaps, gapHeader));
  // (b) 300 more, of which this connection may park 10: the rest refused (RateLimited).
  const limitHeader = plainHeader(crypto);
  const overLimit = Object.fromEntries(Array.from({ length: 300 }, () => [sessionOf(unknownId()), forgedPiece([tx()])]));
  attacker.send(content(idForHeader(limitHeader, blake3), overLimit, limitHeader));
  await settle(attacker);
  const grown = [...server.node.allEntries()].length - before;
  console.log(`600 refused pieces of made-up accounts: ${grown} entries added (parked: ${server.node.syncManager.parked.count})`);
  // Two values and the 10 accounts parked pieces wait for; the refused pieces' accounts must be forgotten.
  expect(grown).toBeLessThanOrEqual(2 + 10 + 2);
});

// ---- 7. Parked pieces of one value are handled in quadratic time ------------------------------------

test("review: content parked on one value by many connections is dropped and expires without freezing the server", async () => {
  const server = await start({ limits: { parkTimeoutMs: 6000 } });
  const owner = await raw(server);
  const header = plainHeader(crypto);
  const id = idForHeader(header, blake3);
  owner.send(content(id, {}, header));
  await owner.waitFor((entry) => entry.action === "known" && entry.id === id, "the value stored");
  // 40 connections × the default 256 pieces each, all on one value, all waiting for made-up accounts.
  const sockets = await Promise.all(Array.from({ length: 40 }, () => quietSocket(server)));
  for (const ws of sockets) {
    const pieces = Object.fromEntries(Array.from({ length: 256 }, () => [sessionOf(unknownId()), forgedPiece([tx()])]));
    ws.send(JSON.stringify(content(id, pieces)));
  }
  const parked = server.node.syncManager.parked;
  for (let waited = 0; parked.count < 40 * 256 && waited < 5000; waited += 20) await sleep(20);
  const parkedCount = parked.count;
  expect(parkedCount, "setup: everything parked before anything expired").toBe(40 * 256);

  // Two of the connections go away: what they parked is dropped.
  let monitor = blockMonitor();
  for (const ws of sockets.slice(0, 2)) ws.terminate();
  for (let waited = 0; parked.count > 38 * 256 && waited < 20_000; waited += 20) await sleep(20);
  const blockedByDrop = monitor.stop();
  // The rest time out.
  monitor = blockMonitor();
  for (let waited = 0; parked.count > 0 && waited < 20_000; waited += 20) await sleep(20);
  const blockedByExpiry = monitor.stop();
  console.log(
    `${parkedCount} pieces parked on one value: 2 connections closing blocked the event loop up to ${blockedByDrop.toFixed(0)} ms, ` +
      `the rest expiring up to ${blockedByExpiry.toFixed(0)} ms`,
  );
  expect(blockedByDrop).toBeLessThan(250);
  expect(blockedByExpiry).toBeLessThan(250);
}, 60_000);

// ---- 8. One connection's queue is drained without yielding ------------------------------------------

test("review: a burst of small poison messages from one connection does not hold up every other connection", async () => {
  const server = await start({ limits: { connection: { messages: { perSecond: 200, burst: 200 } } } });
  const header = plainHeader(crypto);
  const target = idForHeader(header, blake3);
  const attacker = await raw(server);
  attacker.send(content(target, {}, header));
  await settle(attacker);
  await sleep(1100); // the attacker's bucket is full again
  // Within the allowed burst: 198 messages of ~1 KB in one frame, each three forged sessions of a
  // (known) agent, so three signature checks.
  const owner = crypto.agentId(newAgent());
  const forgedSessions = (i: number) =>
    Object.fromEntries([0, 1, 2].map((j) => [sessionOf(owner), forgedPiece([tx([{ op: "set", key: "k", value: i * 3 + j }])])]));
  const burst = Array.from({ length: 198 }, (_, i) => JSON.stringify(content(target, forgedSessions(i)))).join("\n");
  const monitor = blockMonitor();
  attacker.sendText(burst);
  await settle(attacker);
  const blocked = monitor.stop();
  console.log(`one 198-message burst (within the rate limit) blocked the event loop for ${blocked.toFixed(1)} ms`);
  // The sync manager drains a connection's whole queue in microtasks: no other socket is read
  // meanwhile. Each message is ~0.5 ms of work; the burst must not be one uninterrupted run (50 ms
  // leaves room for the OS preempting this process on a loaded box).
  expect(blocked).toBeLessThan(50);
}, 20_000);

// ---- 9. Refusal logging is throttled per connection only ---------------------------------------------

test("review: refusals from many connections are logged at a bounded rate overall", async () => {
  let lines = 0;
  const count = (_fields: object, message: string) => {
    if (message.startsWith("refused input from peer")) lines++;
  };
  const logger = { debug() {}, info() {}, warn: count, error: count };
  const server = await start({ logger } as SyncServerOptions);
  const header = plainHeader(crypto);
  const id = idForHeader(header, blake3);
  const owner = await raw(server);
  owner.send(content(id, {}, header));
  await owner.waitFor((entry) => entry.action === "known" && entry.id === id, "the value stored");
  const agent = crypto.agentId(newAgent());
  const sockets = await Promise.all(Array.from({ length: 50 }, () => quietSocket(server)));
  const started = performance.now();
  for (const ws of sockets)
    ws.send(JSON.stringify(content(id, Object.fromEntries(Array.from({ length: 100 }, () => [sessionOf(agent), forgedPiece([tx()])])))));
  await sleep(1000);
  const seconds = (performance.now() - started) / 1000;
  console.log(`5,000 refusals from 50 connections: ${lines} warn lines in ${seconds.toFixed(1)} s`);
  // A log line per refusal per connection scales with the number of connections (20,000 by default).
  expect(lines / seconds).toBeLessThanOrEqual(100);
});
