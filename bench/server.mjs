// Server benchmark: cosync's sync server against a real cojson 0.20.19 sync server (jazz-run's
// recipe, bench/cojson-server.mjs) in two configurations: `cojson` on WasmCrypto (what
// `jazz-run sync` builds) and `cojson-napi` on NapiCrypto (cojson's fastest crypto on Node), each
// server in its own child process on a SQLite file, the parent being the load generator. Same
// machine, same run; the order of the three servers rotates per round.
//  - Real cojson clients A and B (WasmCrypto, cojson-transport-ws): single-write latency
//    A → server → B (B subscribed, one write at a time); a 10k-write burst by A: lag from A's last
//    local write to the server's ack (A's waitForSync) and to B holding everything; server RSS after
//    the burst; cold load of that 10k-transaction value by a fresh client after the server restarts
//    on the same SQLite file.
//  - Ingest: pre-signed content messages (built once per run with cosync's core, one account per
//    connection) pipelined by raw `ws` connections with a window, counting `known` acks, while
//    subscriber connections that loaded every value first must receive every transaction:
//    50 private txs per message with 1 and with 10 subscribers, and one tx per message (each
//    message one signed piece) with 1 subscriber. For each ingest, the server's main-thread busy
//    share (event-loop utilization over the ingest) and its RSS after it; then every client leaves,
//    the server unloads the values nobody uses (its own idle-value collector, asked to run now) and
//    a full GC runs: RSS and JS heap after that, "after GC of idle values".
// Scale with BENCH_SERVER_ROUNDS, BENCH_LATENCY_WRITES, BENCH_BURST, BENCH_INGEST_CONNECTIONS,
// BENCH_INGEST_VALUES, BENCH_INGEST_BATCHES (50-tx messages per value), BENCH_INGEST_1TX_BATCHES
// (1-tx messages per value), BENCH_INGEST_WINDOW, BENCH_SERVER_BUDGET_S; pick parts with
// BENCH_SERVER_PARTS=clients,ingest; profile a child with BENCH_SERVER_CHILD_ARGS="--cpu-prof"; run
// every server's SQLite with BENCH_SERVER_SQLITE_SYNCHRONOUS=normal|full instead of their defaults.
//
// Each server runs in a child process (server-parts/child.mjs) that imports only that server, so
// the child's RSS and CPU are the server's own; the parent (this module) is the load generator, and
// server-parts/report.mjs turns the rounds into the table.
import { fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { COJSON_KINDS, cpuMs } from "./server-parts/child.mjs";
import { describeRound, report } from "./server-parts/report.mjs";

const childModule = fileURLToPath(new URL("./server-parts/child.mjs", import.meta.url));
const env = (name, fallback) => Number(process.env[name] ?? fallback);
const ROUNDS = env("BENCH_SERVER_ROUNDS", 3);
const LATENCY_WRITES = env("BENCH_LATENCY_WRITES", 200);
const BURST = env("BENCH_BURST", 10_000);
const INGEST = {
  connections: env("BENCH_INGEST_CONNECTIONS", 4),
  valuesPerConnection: env("BENCH_INGEST_VALUES", 25),
  window: env("BENCH_INGEST_WINDOW", 16),
};
/** The two ingest loads: 50 tx per message, and one tx (one signed piece) per message. */
const INGEST_LOADS = {
  tx50: { txPerBatch: 50, batchesPerValue: env("BENCH_INGEST_BATCHES", 16) },
  tx1: { txPerBatch: 1, batchesPerValue: env("BENCH_INGEST_1TX_BATCHES", 100) },
};
/** The reads part: warm loads of a BURST-tx value (50-tx messages), and single writes fanned out. */
const WARM_LOADS = env("BENCH_WARM_LOADS", 5);
const FANOUT_SUBSCRIBERS = env("BENCH_FANOUT_SUBSCRIBERS", 100);
const FANOUT_WRITES = env("BENCH_FANOUT_WRITES", 100);
const READ_LOADS = {
  warm: { txPerBatch: 50, batchesPerValue: Math.ceil(BURST / 50), connections: 1, valuesPerConnection: 1, split: true },
  fanOut: { txPerBatch: 1, batchesPerValue: FANOUT_WRITES, connections: 1, valuesPerConnection: 1 },
};
const BUDGET_MS = env("BENCH_SERVER_BUDGET_S", 200) * 1000;
const PHASE_TIMEOUT_MS = 120_000;
// BENCH_SERVER_BEFORE=<another cosync checkout, built> adds that checkout's server as "cosync-before",
// so a change is measured against the code before it in the same run (ratio cosync/before).
const BEFORE_DIR = process.env.BENCH_SERVER_BEFORE;
// BENCH_SERVER_KINDS=cosync,… runs only those servers (for quick looks; the table needs all three).
// "floor" is server-parts/floor-server.mjs: a relay that neither verifies nor stores, run for the
// raw-client parts (ingest, reads) as the same-run floor of those rows; "floor-verify" is that relay
// plus the signature work of every session piece (hashing and one Ed25519 check), for the ingest rows;
// "floor-durable" is floor-verify that also commits each message to SQLite (group commit on a writer
// thread, an fsync per commit) before it acks or forwards it: the floor of a verifying, durable server.
const KINDS = [
  "cosync",
  "cojson",
  "cojson-napi",
  "floor",
  "floor-verify",
  "floor-durable",
  ...(BEFORE_DIR === undefined ? [] : ["cosync-before"]),
].filter((kind) => process.env.BENCH_SERVER_KINDS === undefined || process.env.BENCH_SERVER_KINDS.split(",").includes(kind));
const PARTS = new Set((process.env.BENCH_SERVER_PARTS ?? "clients,ingest,reads").split(","));
const CHILD_ARGS = (process.env.BENCH_SERVER_CHILD_ARGS ?? "").split(" ").filter(Boolean);

/** The main thread's busy share between two cumulative `performance.eventLoopUtilization()` readings. */
function busyShare(after, before) {
  const active = after.active - before.active;
  const idle = after.idle - before.idle;
  return active + idle > 0 ? active / (active + idle) : undefined;
}

// ---- helpers --------------------------------------------------------------------------------------

function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const children = new Set();

/** Starts a server child on `file`; resolves once it listens. */
async function startChild(kind, file) {
  const proc = fork(childModule, [kind, file], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: CHILD_ARGS });
  children.add(proc);
  const exited = new Promise((resolve) => proc.once("exit", resolve)).finally(() => children.delete(proc));
  const replies = new Map();
  let nextId = 0;
  const ready = new Promise((resolve, reject) => {
    proc.on("message", (message) => {
      if (message.type === "ready") resolve(message);
      else if (message.type === "failed") reject(new Error(`${kind} server failed to start: ${message.error}`));
      else replies.get(message.id)?.(message);
    });
    void exited.then((code) => reject(new Error(`${kind} server exited with ${code} before it was ready`)));
  });
  const { url, crypto } = await within(ready, 30_000, `${kind} server start`);
  const expectedCrypto = { wasm: "WasmCrypto", napi: "NapiCrypto" }[COJSON_KINDS[kind]];
  if (expectedCrypto !== undefined && crypto !== expectedCrypto) {
    proc.kill("SIGKILL");
    throw new Error(`${kind} server runs on ${crypto}, expected ${expectedCrypto}`);
  }
  /** Asks the child for `type` and resolves with its reply (matched by id). */
  const request = (type, what) =>
    within(
      new Promise((resolve) => {
        const id = ++nextId;
        replies.set(id, resolve);
        proc.send({ type, id });
      }),
      10_000,
      `${kind} server ${what}`,
    );
  return {
    url,
    stats: () => request("stats", "stats"),
    unloadIdle: () => request("unloadIdle", "unloading idle values"),
    async close() {
      if (proc.exitCode === null && proc.signalCode === null) proc.send({ type: "close" });
      try {
        await within(exited, 30_000, `${kind} server shutdown`);
      } finally {
        proc.kill("SIGKILL");
      }
    },
  };
}

function killChildren() {
  for (const proc of children) proc.kill("SIGKILL");
}

const txCount = (knownState) => Object.values(knownState.sessions).reduce((a, b) => a + b, 0);

// Parent-only libraries, loaded by run() (see the header comment).
let lib;
async function loadParentLibraries() {
  const [cojson, wasm, transport, ws, raw, reads] = await Promise.all([
    import("cojson"),
    import("cojson/crypto/WasmCrypto"),
    import("cojson-transport-ws"),
    import("ws"),
    import("./server-parts/raw-clients.mjs"),
    import("./server-parts/reads.mjs"),
  ]);
  cojson.logger.setLevel(cojson.LogLevel.ERROR);
  lib = {
    cojson,
    crypto: await wasm.WasmCrypto.create(),
    createWebSocketPeer: transport.createWebSocketPeer,
    WebSocket: ws.WebSocket,
    raw,
    reads,
  };
}

async function openSocket(url) {
  const socket = new lib.WebSocket(url, { perMessageDeflate: false });
  await within(
    new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    }),
    10_000,
    `connecting to ${url}`,
  );
  return socket;
}

// ---- real cojson clients ----------------------------------------------------------------------------

async function cojsonClient(url, account) {
  const socket = await openSocket(url);
  const peers = [lib.createWebSocketPeer({ id: "server", role: "server", websocket: socket })];
  const { LocalNode } = lib.cojson;
  const created =
    typeof account === "string"
      ? await LocalNode.withNewlyCreatedAccount({ creationProps: { name: account }, peers, crypto: lib.crypto })
      : { ...account, node: await LocalNode.withLoadedAccount({ ...account, sessionID: undefined, peers, crypto: lib.crypto }) };
  return {
    node: created.node,
    account: { accountID: created.accountID, accountSecret: created.accountSecret },
    async close() {
      await created.node.gracefulShutdown();
      socket.terminate();
    },
  };
}

async function load(node, id) {
  const value = await within(node.load(id), PHASE_TIMEOUT_MS, `loading ${id}`);
  if (value === "unavailable") throw new Error(`${id} is unavailable`);
  return value;
}

function untilCojson(value, check, what, ms = PHASE_TIMEOUT_MS) {
  let stop;
  const met = new Promise((resolve) => {
    const attempt = () => {
      if (!check()) return;
      stop?.();
      resolve();
    };
    stop = value.core.subscribe(attempt, false);
    attempt();
  });
  return within(met, ms, what).finally(() => stop?.());
}

/** A writes and B watches: single-write latencies, then a burst; the server's RSS after it. */
async function writeAndWatch(server, a, b) {
  const group = a.node.createGroup();
  group.addMember(await load(a.node, b.account.accountID), "writer");
  const map = group.createMap();
  map.set("n", -1, "private");
  const stream = group.createStream();
  await Promise.all([group, map, stream].map((value) => value.core.waitForSync({ timeout: PHASE_TIMEOUT_MS })));
  const mapAtB = await load(b.node, map.id);
  const streamAtB = await load(b.node, stream.id);

  const latencies = [];
  for (let i = 0; i < LATENCY_WRITES; i++) {
    const start = performance.now();
    map.set("n", i, "private");
    await untilCojson(mapAtB, () => mapAtB.get("n") === i, `write ${i} at B`, 10_000);
    latencies.push(performance.now() - start);
  }

  for (let i = 0; i < BURST; i++) stream.push({ i, text: `burst item ${i}` }, "private");
  const last = performance.now();
  const [burstAckMs, burstAtBMs] = await Promise.all([
    stream.core.waitForSync({ timeout: PHASE_TIMEOUT_MS }).then(() => performance.now() - last),
    untilCojson(streamAtB, () => txCount(streamAtB.core.knownState()) >= BURST, "the burst at B").then(() => performance.now() - last),
  ]);
  const rssAfterBurstMb = (await server.stats()).rss / 2 ** 20;
  return { latencies, burstAckMs, burstAtBMs, rssAfterBurstMb, burstStreamId: stream.id };
}

/** Latency, burst, RSS and cold load with real cojson clients against one server. */
async function clientScenario(kind, file) {
  let server = await startChild(kind, file);
  let readerAccount;
  const result = { rssIdleMb: (await server.stats()).rss / 2 ** 20 };
  try {
    const a = await cojsonClient(server.url, "A");
    try {
      const b = await cojsonClient(server.url, "B");
      try {
        Object.assign(result, await writeAndWatch(server, a, b));
        readerAccount = b.account;
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
    }
    await server.close();

    server = await startChild(kind, file);
    const reader = await cojsonClient(server.url, readerAccount);
    try {
      const start = performance.now();
      const stream = await load(reader.node, result.burstStreamId);
      await untilCojson(stream, () => txCount(stream.core.knownState()) >= BURST, "the cold load");
      result.coldLoadMs = performance.now() - start;
    } finally {
      await reader.close();
    }
  } finally {
    await server.close();
  }
  return result;
}

// ---- ingest -------------------------------------------------------------------------------------------

/**
 * Starts a `kind` server on `file` and runs `body` with raw clients of it: `open()` a connection,
 * `settle(promise, what)` that fails fast on any connection's failure, and that `fail`.
 */
async function withRawClients(kind, file, body) {
  const server = await startChild(kind, file);
  const sockets = [];
  let fail;
  const failure = new Promise((_, reject) => {
    fail = reject;
  });
  failure.catch(() => {}); // observed through the races in settle; closing our own sockets later rejects it harmlessly
  const settle = (promise, what) => within(Promise.race([promise, failure]), PHASE_TIMEOUT_MS, what);
  const open = async () => {
    const socket = await openSocket(server.url);
    sockets.push(socket);
    return socket;
  };
  const closeClients = () => {
    for (const socket of sockets.splice(0)) lib.raw.closeQuietly(socket);
  };
  try {
    return await body({ server, open, settle, fail, closeClients });
  } finally {
    for (const socket of sockets) lib.raw.closeQuietly(socket);
    await server.close();
  }
}

function ingestScenario(kind, file, load, subscriberCount) {
  return withRawClients(kind, file, async ({ server, open, settle, fail, closeClients }) => {
    const writers = await Promise.all(load.writers.map(async (writer) => lib.raw.rawWriter(await open(), writer, fail, INGEST.window)));
    await settle(Promise.all(writers.map((writer) => writer.setUp())), "ingest set-up acks");
    const subscribers = [];
    for (let i = 0; i < subscriberCount; i++) subscribers.push(lib.raw.rawSubscriber(await open(), load.valueIds, load.totalTx, fail));
    await settle(Promise.all(subscribers.map((subscriber) => subscriber.subscribe())), "subscriber loads");

    const before = await server.stats();
    const parentBefore = cpuMs(process.cpuUsage());
    const start = performance.now();
    const [ackMs, deliveredMs] = await settle(
      Promise.all([
        Promise.all(writers.map((writer) => writer.pump())).then(() => performance.now() - start),
        Promise.all(subscribers.map((subscriber) => subscriber.complete())).then(() => performance.now() - start),
      ]),
      `${kind} ${load.txPerBatch}-tx ingest with ${subscriberCount} subscribers`,
    );
    const wallMs = Math.max(ackMs, deliveredMs);
    const after = await server.stats();
    // Then every client leaves and the server unloads what nobody uses (see unloadIdleValues).
    closeClients();
    const afterUnload = await server.unloadIdle();
    if (afterUnload.error !== undefined) throw new Error(`${kind} server failed to unload idle values: ${afterUnload.error}`);
    return {
      txPerSec: load.totalTx / (wallMs / 1000),
      ackMs,
      deliveredMs,
      serverCpuShare: (after.cpuMs - before.cpuMs) / wallMs,
      // Server CPU (all its threads) per acknowledged message: with the machine's cores, the
      // ceiling no pipelining can pass (cores × 1 s / CPU per message).
      serverCpuUsPerMessage: ((after.cpuMs - before.cpuMs) * 1000) / load.messages,
      serverMainThreadCpuUsPerMessage:
        after.mainThreadCpuMs === undefined ? undefined : ((after.mainThreadCpuMs - before.mainThreadCpuMs) * 1000) / load.messages,
      serverBusyShare: busyShare(after.elu, before.elu),
      parentCpuShare: (cpuMs(process.cpuUsage()) - parentBefore) / wallMs,
      repeatedTx: subscribers.reduce((sum, subscriber) => sum + subscriber.repeated, 0),
      rssMb: after.rss / 2 ** 20,
      heapSpacesMb: Object.fromEntries(
        Object.entries(after.heapSpaces)
          .filter(([, [size]]) => size > 0)
          .map(([k, [size, used]]) => [k, `${(size / 2 ** 20).toFixed(1)}/${(used / 2 ** 20).toFixed(1)}`]),
      ),
      memoryMb: Object.fromEntries(Object.entries(after.memory).map(([k, v]) => [k, Math.round(v / 2 ** 20)])),
      rssAfterUnloadMb: afterUnload.rss / 2 ** 20,
      heapUsedMb: after.memory.heapUsed / 2 ** 20,
      heapUsedAfterUnloadMb: afterUnload.heapUsed / 2 ** 20,
      valuesUnloaded: afterUnload.unloaded,
    };
  });
}

/** Warm loads of a 10k-tx value, then fan-out of single writes to 100 subscribers (server-parts/reads.mjs). */
async function readsScenario(kind, file, loads) {
  const warmLoadMs = await withRawClients(kind, file("warm"), (clients) => lib.reads.measureWarmLoads(clients, loads.warm, WARM_LOADS));
  const fanOutMs = await withRawClients(kind, file("fanout"), (clients) =>
    lib.reads.measureFanOut(clients, loads.fanOut, FANOUT_SUBSCRIBERS),
  );
  return { warmLoadMs, fanOutMs };
}

// ---- the suite --------------------------------------------------------------------------------------

/** How each server kind is labelled in the table, and what it runs on. */
const BASELINES = {
  cojson: { column: "cojson-wasm", crypto: "WasmCrypto (cojson/crypto/WasmCrypto, what `jazz-run sync` builds)" },
  "cojson-napi": { column: "cojson-napi", crypto: "NapiCrypto (cojson/crypto/NapiCrypto over the native cojson-core-napi)" },
};

/** Per round, the kinds in rotated order (a Latin square over three rounds). */
const orderOf = (kinds, round) => kinds.map((_, i) => kinds[(i + round) % kinds.length]);

/** What the report (server-parts/report.mjs) needs to know of this run's shape. */
const reportSettings = {
  burst: BURST,
  fanOutSubscribers: FANOUT_SUBSCRIBERS,
  latencyWrites: LATENCY_WRITES,
  ingest: INGEST,
  ingestLoads: INGEST_LOADS,
  parts: PARTS,
  baselines: BASELINES,
  withBefore: BEFORE_DIR !== undefined,
};

export async function run() {
  const synchronous = process.env.BENCH_SERVER_SQLITE_SYNCHRONOUS;
  if (synchronous !== undefined && synchronous !== "normal" && synchronous !== "full") {
    throw new TypeError(`BENCH_SERVER_SQLITE_SYNCHRONOUS: expected "normal" or "full", got ${synchronous}`);
  }
  for (const part of PARTS) {
    if (!["clients", "ingest", "reads"].includes(part))
      throw new TypeError(`BENCH_SERVER_PARTS: unknown part "${part}" (clients, ingest, reads)`);
  }
  console.log("baselines: a cojson 0.20.19 sync server (jazz-run's recipe, bench/cojson-server.mjs) on");
  for (const [kind, { column, crypto }] of Object.entries(BASELINES)) console.log(`  ${column} (child kind ${kind}): ${crypto}`);
  console.log(`parts: ${[...PARTS].join(", ")}`);
  await loadParentLibraries();
  const loadBefore = loadavg()[0];
  const dir = await mkdtemp(join(tmpdir(), "cosync-bench-server-"));
  const started = performance.now();
  const results = Object.fromEntries(KINDS.map((kind) => [kind, []]));
  const failures = {}; // a baseline that could not run (e.g. cojson-napi without its native module): kind → message
  let kinds = [...KINDS];
  try {
    const loads = {};
    if (PARTS.has("ingest")) {
      for (const [name, shape] of Object.entries(INGEST_LOADS)) {
        const buildStart = performance.now();
        loads[name] = await lib.raw.buildIngestLoad({ ...shape, ...INGEST });
        const load = loads[name];
        console.log(
          `ingest load ${load.txPerBatch}-tx: ${load.writers.length} connections × ${INGEST.valuesPerConnection} values × ${load.batchesPerValue} messages × ${load.txPerBatch} tx ` +
            `= ${load.messages} messages, ${load.totalTx} tx, window ${INGEST.window} messages per connection (built in ${((performance.now() - buildStart) / 1000).toFixed(1)} s)`,
        );
      }
    }
    if (PARTS.has("reads")) {
      for (const [name, shape] of Object.entries(READ_LOADS)) loads[name] = await lib.raw.buildIngestLoad(shape);
      console.log(
        `reads: ${WARM_LOADS} warm loads of a ${loads.warm.totalTx}-tx value; ${FANOUT_WRITES} single writes to ${FANOUT_SUBSCRIBERS} subscribers`,
      );
    }
    // The load generator's own code (its sockets, parsing, these loops, the real cojson clients) is
    // cold for the first server it drives, which would pay for that (the first few dozen fan-out
    // writes ran 2–4× slower; the first server's single-write p50 came out ~1.5× the others'): warm
    // it first, untimed, its results dropped — raw clients on the floor relay, cojson clients on the
    // first real server kind (in a child of its own, like every run).
    const warmUp = (part) => join(dir, `warm-up-${part}.db`);
    const clientsWarmUpKind = KINDS.find((kind) => !kind.startsWith("floor"));
    if (PARTS.has("clients") && clientsWarmUpKind !== undefined) await clientScenario(clientsWarmUpKind, warmUp("clients"));
    if (PARTS.has("ingest")) await ingestScenario("floor", warmUp("ingest"), loads.tx1, 1);
    if (PARTS.has("reads")) await readsScenario("floor", warmUp, loads);
    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0 && performance.now() - started > BUDGET_MS * (round / (round + 1))) {
        console.log(`stopping after ${round} rounds (time budget ${BUDGET_MS / 1000} s)`);
        break;
      }
      for (const kind of orderOf(kinds, round)) {
        const file = (part) => join(dir, `${kind}-${round}-${part}.db`);
        const result = {};
        const roundStart = performance.now();
        try {
          if (PARTS.has("clients") && !kind.startsWith("floor")) Object.assign(result, await clientScenario(kind, file("clients")));
          if (PARTS.has("ingest")) {
            result.ingest1 = await ingestScenario(kind, file("ingest1"), loads.tx50, 1);
            result.ingest10 = await ingestScenario(kind, file("ingest10"), loads.tx50, 10);
            result.ingest1tx = await ingestScenario(kind, file("ingest1tx"), loads.tx1, 1);
          }
          if (PARTS.has("reads") && kind !== "floor-verify" && kind !== "floor-durable")
            Object.assign(result, await readsScenario(kind, file, loads));
        } catch (error) {
          // cosync and the wasm baseline must run; the napi baseline may lack its native module.
          if (kind !== "cojson-napi") throw error;
          failures[kind] = `round ${round + 1}: ${error?.stack ?? error}`;
          console.log(`round ${round + 1} ${kind}: FAILED, dropping this baseline: ${error?.stack ?? error}`);
          kinds = kinds.filter((k) => k !== kind);
          killChildren();
          continue;
        }
        results[kind].push(result);
        console.log(
          `round ${round + 1} ${kind}: ${describeRound(result, reportSettings)} [${((performance.now() - roundStart) / 1000).toFixed(0)} s]`,
        );
      }
    }
  } finally {
    killChildren();
    await rm(dir, { recursive: true, force: true });
  }
  const loadAverage = { before: loadBefore, after: loadavg()[0] };
  const summary = report(results, failures, reportSettings);
  console.log(
    `run took ${((performance.now() - started) / 1000).toFixed(0)} s; machine load average (1 min): ${loadAverage.before.toFixed(2)} before, ${loadAverage.after.toFixed(2)} after, on ${availableParallelism()} CPUs; ` +
      "the run itself adds about 2; other work on the machine skews single rounds, so trust a run that started quiet.",
  );
  return { ...summary, loadAverage };
}
