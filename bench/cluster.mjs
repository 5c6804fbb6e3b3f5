// Cluster benchmark: `cosync serve` processes on one PostgreSQL database, linked by a bus
// (BENCH_CLUSTER_BUS: a nats:// URL, default the local NATS, or "postgres" for LISTEN/NOTIFY).
// Each server is a child process (the built CLI); clients are cosync nodes in this process over
// real WebSockets. Measured in the same run:
//  - latency of one write: writer → its process → commit → bus notice → other process re-reads
//    the value from Postgres → reader, against the single-process path (writer and reader on the
//    same process, same database, same cluster settings), one write at a time;
//  - throughput: C writer connections (each its own value, each with a subscribed reader) writing
//    in small acknowledged batches, with 1 process against the same load spread over 2 processes
//    (readers on the other process than their writer, so every transaction crosses the bus).
// Scale with BENCH_CLUSTER_WRITES (latency samples), BENCH_CLUSTER_CONNECTIONS,
// BENCH_CLUSTER_TX (per connection), BENCH_CLUSTER_BATCH. Needs TEST_PG_URL (or
// postgres://postgres@127.0.0.1:5432/test) and `tsc -b` (npm run bench does it).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { printTable } from "./harness.mjs";

const env = (name, fallback) => process.env[name] ?? fallback;
const WRITES = Number(env("BENCH_CLUSTER_WRITES", 200));
const CONNECTIONS = Number(env("BENCH_CLUSTER_CONNECTIONS", 8));
const TX_PER_CONNECTION = Number(env("BENCH_CLUSTER_TX", 1000));
const BATCH = Number(env("BENCH_CLUSTER_BATCH", 10));
const BUS = env("BENCH_CLUSTER_BUS", "nats://127.0.0.1:4222");
const PG_URL = env("TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/test");
const cliMain = fileURLToPath(new URL("../packages/cli/dist/main.js", import.meta.url));
const TIMEOUT_MS = 120_000;

export async function run() {
  const lib = await loadLibraries();
  const db = await freshDatabase(lib.pg);
  const children = [];
  try {
    const servers = [];
    for (let i = 0; i < 2; i++) {
      const child = await startServer(db.url);
      children.push(child);
      servers.push(child.url);
    }
    const latency = {
      single: await latencyRun(lib, servers[0], servers[0]),
      cluster: await latencyRun(lib, servers[0], servers[1]),
    };
    const latencyRows = printTable(
      ["path", "p50 ms", "p99 ms", "mean ms", "p50 × single", "p99 × single"],
      Object.entries(latency).map(([path, stats]) => ({
        path: path === "single" ? "writer and reader on one process" : "writer on process 1 → reader on process 2",
        "p50 ms": stats.p50,
        "p99 ms": stats.p99,
        "mean ms": stats.mean,
        "p50 × single": stats.p50 / latency.single.p50,
        "p99 × single": stats.p99 / latency.single.p99,
      })),
    );
    console.log();
    const throughput = {
      one: await throughputRun(lib, [servers[0]]),
      two: await throughputRun(lib, servers),
    };
    const throughputRows = printTable(
      ["processes", "connections", "tx", "seconds", "tx/s", "× 1 process"],
      Object.entries(throughput).map(([name, stats]) => ({
        processes: name === "one" ? 1 : 2,
        connections: stats.connections,
        tx: stats.transactions,
        seconds: stats.seconds,
        "tx/s": stats.perSecond,
        "× 1 process": stats.perSecond / throughput.one.perSecond,
      })),
    );
    console.log(
      `\n${availableParallelism()} cores, load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}; bus ${BUS}. Each process and this load generator share the cores, and every cross-process`,
    );
    console.log("delivery adds a Postgres read on the receiving process, so 2 processes give less than 2× here.");
    return { bus: BUS, cores: availableParallelism(), latency, throughput, tables: { latency: latencyRows, throughput: throughputRows } };
  } finally {
    for (const child of children) child.process.kill("SIGTERM");
    await Promise.all(children.map((child) => child.exited));
    await db.drop();
  }
}

async function loadLibraries() {
  const [core, crypto, transport, ws, pg] = await Promise.all([
    import("@cosync/core"),
    import("@cosync/crypto"),
    import("@cosync/transport-ws"),
    import("ws"),
    import("pg"),
  ]);
  const coCrypto = new core.CoCrypto(await crypto.loadNodeCryptoProvider());
  return { core, transport, WebSocket: ws.WebSocket, pg: pg.default, coCrypto };
}

async function freshDatabase(pg) {
  const name = `bench_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

function startServer(dbUrl) {
  const child = spawn(process.execPath, [cliMain, "serve", "--port", "0", "--db", dbUrl, "--cluster", BUS, "--log-level", "warn"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000);
    child.stdout.on("data", (chunk) => {
      output += chunk.toString();
      const match = /listening on (ws:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ process: child, url: match[1], exited });
      }
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

async function client(lib, url) {
  const node = lib.core.createLocalNode({ crypto: lib.coCrypto, storage: lib.core.createMemoryStorage(), gc: false });
  const channel = await lib.transport.connectWebSocket({ url, WebSocket: lib.WebSocket, peerId: "bench" });
  node.syncManager.addPeer(channel);
  return { node, close: () => channel.close() };
}

function header(lib) {
  return { type: "comap", ruleset: { type: "unsafeAllowAll" }, meta: null, createdAt: new Date().toISOString(), uniqueness: lib.coCrypto.newUniqueness() };
}

function transactionCount(handle) {
  let count = 0;
  for (const n of Object.values(handle.knownState().sessions)) count += n;
  return count;
}

/** Resolves once `handle` holds at least `count` transactions. */
function until(handle, count) {
  if (transactionCount(handle) >= count) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`reader stuck at ${transactionCount(handle)} of ${count}`)), TIMEOUT_MS);
    const stop = handle.subscribe(() => {
      if (transactionCount(handle) < count) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

async function loaded(node, id) {
  const outcome = await node.load(id);
  if (outcome.status !== "loaded") throw new Error(`could not load ${id}`);
  return outcome.value;
}

async function latencyRun(lib, writerUrl, readerUrl) {
  const writer = await client(lib, writerUrl);
  const reader = await client(lib, readerUrl);
  try {
    const value = writer.node.createCoValue(header(lib));
    value.writeTrusting(["start"]);
    await value.waitForSync();
    const view = await loaded(reader.node, value.id);
    const samples = [];
    for (let i = 0; i < WRITES + 10; i++) {
      const started = performance.now();
      value.writeTrusting([i]);
      await until(view, i + 2);
      if (i >= 10) samples.push(performance.now() - started); // the first ten warm up
    }
    samples.sort((a, b) => a - b);
    const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
    return { samples: samples.length, p50: at(0.5), p99: at(0.99), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
  } finally {
    writer.close();
    reader.close();
  }
}

async function throughputRun(lib, urls) {
  const pairs = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const writer = await client(lib, urls[i % urls.length]);
    const reader = await client(lib, urls[(i + 1) % urls.length]);
    const value = writer.node.createCoValue(header(lib));
    value.writeTrusting(["start"]);
    await value.waitForSync();
    pairs.push({ writer, reader, value, view: await loaded(reader.node, value.id) });
  }
  try {
    const started = performance.now();
    await Promise.all(
      pairs.map(async ({ value, view }) => {
        for (let sent = 0; sent < TX_PER_CONNECTION; sent += BATCH) {
          for (let i = 0; i < BATCH; i++) value.writeTrusting([sent + i]);
          await value.waitForSync();
        }
        await until(view, TX_PER_CONNECTION + 1);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const transactions = CONNECTIONS * TX_PER_CONNECTION;
    return { connections: CONNECTIONS * 2, transactions, seconds, perSecond: transactions / seconds };
  } finally {
    for (const { writer, reader } of pairs) {
      writer.close();
      reader.close();
    }
  }
}
