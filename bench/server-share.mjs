// The servers' own share of bench/server.mjs's client rows: the same servers (its child mode),
// driven by raw `ws` connections with content pre-signed by cosync's core instead of real cojson
// clients, so no client signs, verifies, decrypts or applies anything inside the timed part.
//  - single write W → server → S: one pre-signed 1-tx message at a time, until S receives it;
//  - cold load: a fresh connection loads a 10k-tx value (200 messages of 50 tx) after a restart,
//    until it received every transaction.
// The difference to bench/server.mjs's rows is what the cojson clients themselves take.
// Usage: node bench/server-share.mjs [rounds] (after `npx tsc -b`); profile the children with
// BENCH_SERVER_CHILD_ARGS="--cpu-prof --cpu-prof-dir=<dir>" (each child writes one profile per thread).
import { fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoCrypto, createAccountNode } from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { WebSocket } from "ws";

const ROUNDS = Number(process.argv[2] ?? 3);
const WRITES = 200;
const COLD_TX = 10_000;
const server = new URL("./server.mjs", import.meta.url).pathname;
// Node flags for the server children, as in bench/server.mjs: e.g. BENCH_SERVER_CHILD_ARGS="--cpu-prof --cpu-prof-dir=prof".
const CHILD_ARGS = (process.env.BENCH_SERVER_CHILD_ARGS ?? "").split(" ").filter(Boolean);

function startChild(kind, file) {
  const proc = fork(server, ["child", kind, file], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: CHILD_ARGS });
  return new Promise((resolve) => {
    proc.on("message", (message) => {
      if (message.type === "ready") resolve({ url: message.url, rss: () => stats(proc), close: () => close(proc) });
    });
  });
}
const stats = (proc) =>
  new Promise((resolve) => {
    proc.once("message", (message) => resolve(message.rss / 2 ** 20));
    proc.send({ type: "stats", id: 1 });
  });
const close = (proc) =>
  new Promise((resolve) => {
    proc.once("exit", resolve);
    proc.send({ type: "close" });
  });

async function connect(url, onMessage) {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  socket.on("message", (data) => {
    for (const line of data.toString().split("\n")) if (line !== "") onMessage(JSON.parse(line), socket);
  });
  return socket;
}

/** Frames for: setup (account, groups, both values' headers), WRITES 1-tx messages, COLD_TX tx in 50-tx messages. */
async function buildLoad() {
  const crypto = new CoCrypto(await loadNodeCryptoProvider());
  const node = createAccountNode({ crypto, gc: false, name: "writer" });
  const group = node.createGroup();
  const live = group.createStream();
  const cold = group.createStream();
  node.sealLocalWrites();
  const content = (value, since) => node.entry(value.id).log.contentSince(since);
  const setup = [...node.allEntries()].flatMap((entry) => content(entry, undefined)).map((m) => JSON.stringify(m));
  const piecesOf = (value, txPerMessage, total) => {
    const frames = [];
    for (let done = 0; done < total; done += txPerMessage) {
      for (let t = 0; t < txPerMessage; t++) value.push({ i: done + t, text: `item ${done + t} of a realistic little payload` });
      node.sealLocalWrites();
      // Usually one message; a long session's content can come in more (all of it is sent).
      const pieces = content(value, { id: value.id, header: true, sessions: { [node.sessionId]: done } });
      frames.push(pieces.map((piece) => JSON.stringify(piece)).join("\n"));
    }
    return frames;
  };
  return { setup, live: live.id, cold: cold.id, writes: piecesOf(live, 1, WRITES), coldFrames: piecesOf(cold, 50, COLD_TX) };
}

const txOf = (message) => Object.values(message.new ?? {}).reduce((sum, piece) => sum + piece.newTransactions.length, 0);
const ends = (message) => Object.values(message.new ?? {}).map((piece) => piece.after + piece.newTransactions.length);

async function measure(kind, load, dir, round) {
  const file = join(dir, `${kind}-${round}.db`);
  let child = await startChild(kind, file);
  const setupFrames = new Map(load.setup.map((frame) => [JSON.parse(frame).id, frame]));
  let acked = () => {};
  const answerLoads = (message, socket) => {
    if (message.error !== undefined) console.error(`${kind} refused: ${JSON.stringify(message.error)}`);
    if (message.action === "load" && setupFrames.has(message.id)) socket.send(setupFrames.get(message.id));
    if (message.action === "known") acked(message);
  };
  const writer = await connect(child.url, answerLoads);
  const waitAck = (id, count) =>
    new Promise((resolve) => {
      acked = (message) =>
        message.id === id && (count === 0 ? message.header : Object.values(message.sessions).some((n) => n >= count)) && resolve();
    });
  const setupDone = Promise.all([waitAck(load.cold, 0)]);
  for (const frame of load.setup) writer.send(frame);
  await setupDone;

  // Single writes: S subscribed to the live value first.
  let heard = 0;
  let onHeard = () => {};
  const subscriber = await connect(child.url, (message, socket) => {
    if (message.action === "content" && message.id === load.live) {
      heard = Math.max(heard, ...ends(message));
      onHeard();
      socket.send(JSON.stringify({ action: "known", id: message.id, header: true, sessions: {} }));
    } else if (message.action === "content") {
      socket.send(JSON.stringify({ action: "known", id: message.id, header: true, sessions: {} }));
    }
  });
  subscriber.send(JSON.stringify({ action: "load", id: load.live, header: false, sessions: {} }));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const latencies = [];
  for (const [i, frame] of load.writes.entries()) {
    const start = performance.now();
    const got = new Promise((resolve) => {
      onHeard = () => heard >= i + 1 && resolve();
    });
    writer.send(frame);
    await got;
    latencies.push(performance.now() - start);
  }
  // The cold value: all of it, acked.
  const coldAcked = waitAck(load.cold, COLD_TX);
  for (const frame of load.coldFrames) writer.send(frame);
  await coldAcked;
  writer.terminate();
  subscriber.terminate();
  await child.close();

  child = await startChild(kind, file);
  let received = 0;
  let onReceived = () => {};
  const reader = await connect(child.url, (message) => {
    if (message.action === "content" && message.id === load.cold) received += txOf(message);
    onReceived();
  });
  const start = performance.now();
  const all = new Promise((resolve) => {
    onReceived = () => received >= COLD_TX && resolve();
  });
  reader.send(JSON.stringify({ action: "load", id: load.cold, header: false, sessions: {} }));
  await all;
  const coldLoadMs = performance.now() - start;
  reader.terminate();
  await child.close();
  latencies.sort((a, b) => a - b);
  return { p50: latencies[Math.floor(WRITES * 0.5)], p99: latencies[Math.floor(WRITES * 0.99)], coldLoadMs };
}

const load = await buildLoad();
const dir = await mkdtemp(join(tmpdir(), "cosync-server-share-"));
const results = { cosync: [], cojson: [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of round % 2 === 0 ? ["cosync", "cojson"] : ["cojson", "cosync"]) {
      const r = await measure(kind, load, dir, round);
      results[kind].push(r);
      console.log(`round ${round + 1} ${kind}: single write p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms, cold load ${r.coldLoadMs.toFixed(1)} ms`);
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const metric of ["p50", "p99", "coldLoadMs"]) {
  const [ours, theirs] = [median(results.cosync.map((r) => r[metric])), median(results.cojson.map((r) => r[metric]))];
  console.log(`${metric.padEnd(11)} cosync ${ours.toFixed(3).padStart(8)}  cojson ${theirs.toFixed(3).padStart(8)}  ratio ${(ours / theirs).toFixed(2)}`);
}
