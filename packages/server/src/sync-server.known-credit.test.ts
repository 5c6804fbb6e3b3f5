// Which `known` messages a connection sends for free (a hostile review's finding, 2nd round).
//
// A `known` acknowledging content the server pushed to a connection costs it nothing: otherwise
// anyone writing into a value a client subscribes to would spend that client's budget through its
// acks. That credit was earned by every content message sent, spendable on any `known`: a known
// *correction* saying "I hold nothing" made the server resend the whole value, which earned fresh
// credit, so one rate-limited `load` bought an unbounded stream of full-value resends (200
// corrections in 0.47 s → 101 MB, no RateLimited), and a plain `known` naming another value got
// that value sent in full, for free too. Now a correction is charged like any message, credit is
// earned only by content the connection had not been sent before and pays only for a plain `known`
// of that same value (which can make the server send nothing it sent already).
import { createTestClock, idForHeader, type CoId } from "@cosync/core";
import { spawn } from "node:child_process";
import { expect, test } from "vitest";
import { namedAccountNode, plainHeader } from "../../../tests/helpers/nodes.js";
import { blake3, closedAfterEachTest, content, crypto, newAgent, sessionOf, signedPiece, signedPieces, tx, unknownId, within } from "./test-fixtures/attack-kit.js";
import type { Entry, RawClient } from "./test-fixtures/raw-client.js";
import type { SyncServer } from "./start-sync-server.js";

const { start, raw, bridged } = closedAfterEachTest();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const isContentOf = (id: CoId) => (entry: Entry) => entry.action === "content" && entry.id === id;
const contentCount = (client: RawClient, id?: CoId) => client.entries.filter((entry) => entry.action === "content" && (id === undefined || entry.id === id)).length;
const rateLimited = (client: RawClient) => client.entries.filter((entry) => entry.error?.code === "RateLimited");

/** Uploads a value of `txs` transactions (one session) over a connection of its own; returns its id. */
async function upload(server: SyncServer, txs: TrustingTransaction[]): Promise<CoId> {
  const header = plainHeader(crypto);
  const id = idForHeader(header, blake3);
  const agent = newAgent();
  const session = sessionOf(crypto.agentId(agent));
  const writer = await raw(server);
  writer.send(content(id, { [session]: signedPiece(session, agent, txs) }, header));
  await writer.waitFor((entry) => entry.action === "known" && entry.id === id, "the upload acknowledged");
  await writer.close();
  return id;
}

/** Sends `message` and waits until the server answered it with more content, or refused something. */
async function answered(client: RawClient, message: unknown, id?: CoId): Promise<"content" | "refused"> {
  const contentBefore = contentCount(client, id);
  const refusedBefore = rateLimited(client).length;
  client.send(message);
  await within(
    client.waitFor(() => contentCount(client, id) > contentBefore || rateLimited(client).length > refusedBefore, "an answer"),
    6000,
    "an answer",
  );
  return rateLimited(client).length > refusedBefore ? "refused" : "content";
}

/** A round trip: the server has handled (charged, or not) everything `client` sent before. */
async function probe(client: RawClient): Promise<"answered" | "refused"> {
  const id = unknownId();
  client.send({ action: "load", id, header: false, sessions: {} });
  const entry = await client.waitFor((e) => e.id === id || e.error?.id === id, "the probe answered");
  return entry.error === undefined ? "answered" : "refused";
}

test("a known correction is charged: one load does not buy an unbounded stream of full-value resends", async () => {
  // 3 messages/s (burst 3) per connection: at most ~3 + 3·t requests in t seconds.
  const server = await start({ limits: { connection: { messages: { perSecond: 3, burst: 3 } } } });
  // ~500 KB, sent as several content messages.
  const id = await upload(server, Array.from({ length: 5 }, (_, i) => tx([{ op: "set", key: `k${i}`, value: "x".repeat(100_000) }])));

  const attacker = await raw(server);
  attacker.send({ action: "load", id, header: false, sessions: {} });
  await attacker.waitFor((entry) => entry.action === "done" && entry.id === id, "the first full answer");
  const perValue = contentCount(attacker, id);

  const started = Date.now();
  let resends = 0;
  for (let round = 0; round < 200; round++) {
    const outcome = await answered(attacker, { action: "known", isCorrection: true, id, header: false, sessions: {} }, id);
    if (outcome === "refused") break;
    resends++;
  }
  const seconds = (Date.now() - started) / 1000;
  const notices = rateLimited(attacker);
  expect(notices.length).toBeGreaterThan(0);
  expect(notices[0]?.error?.message).toBe("connection exceeds its messages rate of 3/s (burst 3); message dropped");
  // What the budget allows (the load took one token), not 200.
  expect(resends).toBeLessThanOrEqual(2 + Math.ceil(3 * seconds));
  expect(contentCount(attacker, id)).toBe(perValue * (1 + resends));
}, 60_000);

test("credit a load earned for one value does not pay for knowns that get other values sent", async () => {
  const server = await start({ clock: createTestClock(), limits: { connection: { messages: { perSecond: 1, burst: 3 } } } });
  const x = await upload(server, [tx()]);
  const others: CoId[] = [];
  for (let i = 0; i < 6; i++) others.push(await upload(server, [tx([{ op: "set", key: "i", value: i }])]));

  const attacker = await raw(server);
  attacker.send({ action: "load", id: x, header: false, sessions: {} }); // 1 token of 3
  await attacker.waitFor((entry) => entry.action === "done" && entry.id === x, "the load answered");
  const outcomes: string[] = [];
  // A plain `known` saying "I hold nothing" of a value the connection never asked for: the server
  // subscribes it and sends the value in full, as for a load, so it costs what a load costs.
  for (const other of others) outcomes.push(await answered(attacker, { action: "known", id: other, header: false, sessions: {} }));
  expect(outcomes).toEqual(["content", "content", "refused", "refused", "refused", "refused"]);
  expect(rateLimited(attacker)[0]?.error?.message).toBe("connection exceeds its messages rate of 1/s (burst 3); message dropped");
});

test("content resent in answer to a correction earns no credit for acks", async () => {
  const server = await start({ clock: createTestClock(), limits: { connection: { messages: { perSecond: 1, burst: 4 } } } });
  const id = await upload(server, Array.from({ length: 3 }, (_, i) => tx([{ op: "set", key: `k${i}`, value: "x".repeat(100_000) }])));
  const attacker = await raw(server);
  attacker.send({ action: "load", id, header: false, sessions: {} }); // 1 token of 4
  await attacker.waitFor((entry) => entry.action === "done" && entry.id === id, "the load answered");
  const perValue = contentCount(attacker, id);
  const full = (attacker.entries.filter(isContentOf(id)).at(-1) as { new: Record<string, { after: number; newTransactions: unknown[] }> }).new;
  const held = Object.fromEntries(Object.entries(full).map(([session, piece]) => [session, piece.after + piece.newTransactions.length]));

  expect(await answered(attacker, { action: "known", isCorrection: true, id, header: false, sessions: {} }, id)).toBe("content"); // 2 of 4
  await attacker.waitFor(() => contentCount(attacker, id) === 2 * perValue, "the whole value resent");
  // An honest ack of each content message the load got is free (`perValue` of them)…
  for (let i = 0; i < perValue; i++) attacker.send({ action: "known", id, header: true, sessions: held });
  expect(await probe(attacker)).toBe("answered"); // 3 of 4
  // …but the resend earned none: these are charged.
  for (let i = 0; i < perValue; i++) attacker.send({ action: "known", id, header: true, sessions: held });
  expect(await probe(attacker)).toBe("refused");
});

test("a subscriber's acks of content pushed to it (others' writes) stay free of its connection's budget", async () => {
  const server = await start({ clock: createTestClock(), limits: { connection: { messages: { perSecond: 1, burst: 3 } } } });
  const header = plainHeader(crypto);
  const id = idForHeader(header, blake3);
  const subscriber = await raw(server);
  subscriber.send({ action: "load", id, header: false, sessions: {} }); // 1 token of 3: nobody has it yet
  await subscriber.waitFor((entry) => entry.action === "known" && entry.id === id, "the load answered");

  const WRITES = 8;
  const held: Record<string, number> = {};
  for (let i = 0; i < WRITES; i++) {
    const agent = newAgent();
    const session = sessionOf(crypto.agentId(agent));
    const writer = await raw(server); // a connection (and budget) per write
    writer.send(content(id, { [session]: signedPiece(session, agent, [tx([{ op: "set", key: "i", value: i }])]) }, header));
    await subscriber.waitFor((entry) => isContentOf(id)(entry) && session in (entry.new as object), "the write pushed to the subscriber");
    held[session] = 1;
    // Acknowledged as cojson does: a plain `known` of everything it holds.
    subscriber.send({ action: "known", id, header: true, sessions: { ...held } });
    await writer.close();
  }
  expect(await probe(subscriber)).toBe("answered"); // 2 of 3
  expect(await probe(subscriber)).toBe("answered"); // 3 of 3
  expect(await probe(subscriber)).toBe("refused");
  expect(rateLimited(subscriber)).toHaveLength(1);
});


async function latencies(n: number, write: () => Promise<void>) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await write();
    out.push(performance.now() - t);
    await sleep(150); // the honest connection stays within its own rate
  }
  out.sort((a, b) => a - b);
  return { p50: Math.round(out[Math.floor(n / 2)] as number), max: Math.round(out[n - 1] as number) };
}

test("corrections from another process against a 5 MB value (over the full-content cache's cap) are bounded by the connection's rate", async () => {
  // The burst lets an honest node's first sync (account, group, map) and its writes through.
  const RATE = 1;
  const BURST = 40;
  const server = await start({ limits: { connection: { messages: { perSecond: RATE, burst: BURST } } } });
  const header = plainHeader(crypto);
  const id = idForHeader(header, blake3);
  const agent = newAgent();
  const session = sessionOf(crypto.agentId(agent));
  const batches = Array.from({ length: 2 }, (_, b) => Array.from({ length: 25 }, (_, i) => tx([{ op: "set", key: `${b}.${i}`, value: "x".repeat(100_000) }])));
  const writer = await raw(server);
  for (const piece of signedPieces(session, agent, batches)) writer.send(content(id, { [session]: piece }, header));
  await writer.waitFor((e) => e.action === "known" && e.id === id && (e.sessions as Record<string, number>)[session] === 50, "stored", 20_000);
  await writer.close();
  const reader = await raw(server);
  reader.send({ action: "load", id, header: false, sessions: {} });
  await reader.waitFor((entry) => entry.action === "done" && entry.id === id, "a full answer", 20_000);
  const perValue = contentCount(reader, id);
  await reader.close();

  const honest = await namedAccountNode("Honest");
  await bridged(honest, server);
  const map = honest.createGroup().createMap();
  map.set("n", 0, "trusting");
  await map.waitForSync({ timeoutMs: 10_000 });
  let n = 0;
  const write = async () => {
    map.set("n", ++n, "trusting");
    await map.waitForSync({ timeoutMs: 20_000 });
  };
  const alone = await latencies(8, write);

  // The attacker runs in its own process (it must not share the server's event loop): a
  // correction for every whole value it is sent. (One per content message would double the
  // corrections in flight with every resend, and the server may then close it as a slow consumer,
  // over 64 MiB waiting to be sent, before the rate limit is reached: a bound too, not this one.)
  const script = `
    const { WebSocket } = require("ws");
    const ws = new WebSocket(process.argv[1]);
    const id = process.argv[2];
    const perValue = Number(process.argv[3]);
    let resends = 0, limited = 0, message = "";
    ws.on("open", () => ws.send(JSON.stringify({ action: "load", id, header: false, sessions: {} })));
    ws.on("message", (data) => {
      const text = data.toString();
      const notice = text.split("\\n").find((line) => line.includes('"RateLimited"'));
      if (notice !== undefined && limited++ === 0) message = JSON.parse(notice).error.message;
      if (!text.includes('"action":"content"')) return;
      if (++resends % perValue === 0) ws.send(JSON.stringify({ action: "known", isCorrection: true, id, header: false, sessions: {} }));
    });
    const report = (closed) => { console.log(JSON.stringify({ resends, limited, message, closed })); process.exit(0); };
    ws.on("close", (code, reason) => report(code + " " + reason));
    process.on("SIGTERM", () => report(undefined));
  `;
  const started = Date.now();
  const child = spawn(process.execPath, ["-e", script, server.url, id, String(perValue)], { cwd: process.cwd(), stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  let report = "";
  child.stdout.on("data", (chunk: Buffer) => {
    report += chunk.toString();
  });
  await sleep(500);
  const underAttack = await latencies(8, write);
  child.kill("SIGTERM");
  await exited;
  const seconds = (Date.now() - started) / 1000;
  const { resends = 0, limited = 0, message, closed } = JSON.parse(report || "{}") as { resends?: number; limited?: number; message?: string; closed?: string };
  console.log(
    `honest ack ms alone ${JSON.stringify(alone)}, under attack ${JSON.stringify(underAttack)}; ` +
      `server sent ${resends} content messages (${perValue} per value), RateLimited notices ${limited}`,
  );
  expect(closed).toBeUndefined(); // still connected: refused, not dropped
  expect(limited).toBeGreaterThan(0);
  expect(message).toBe(`connection exceeds its messages rate of ${RATE}/s (burst ${BURST}); message dropped`);
  // At most the load and what the rate allows of corrections, each answered with the whole value.
  expect(resends).toBeLessThanOrEqual(perValue * (BURST + Math.ceil(RATE * seconds)));
}, 90_000);
