// `npm run bench -- scale`: soak and scale of one cosync server process (a child, loopback only,
// bounded, stops by itself). Not in CI.
//  1. idle: BENCH_SCALE_IDLE (default 10,000) WebSocket connections held open; the server's RSS
//     growth per connection (target < 50 KB). The load generator holds as many sockets itself:
//     `ulimit -n` must exceed the count (checked up front; raise it with `ulimit -n 20000`).
//  2. active: BENCH_SCALE_CLIENTS (default 100) cosync clients writing one value after another
//     for BENCH_SCALE_SECONDS (default 60; BENCH_SCALE_MINUTES=10 for the full soak); end-to-end
//     (write → server ack) p50/p99 (target p99 < 20 ms) and the server's RSS sampled each second
//     (target: flat within 10 % after warm-up).
import { execSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoCrypto, createAccountNode, createMemoryStorage } from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { connectWebSocket } from "@cosync/transport-ws";
import { WebSocket } from "ws";

const serverScript = new URL("../tests/reliability/child-server.mjs", import.meta.url).pathname;

async function rssOf(pid) {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) * 1024;
}

async function startServer(db) {
  const child = spawn(process.execPath, ["--expose-gc", serverScript, "0", db], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const match = /listening on (ws:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`server exited (${code})`)));
  });
  return { child, url };
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
};

async function idle(url, pid, count) {
  const limit = Number(execSync("ulimit -n", { shell: "/bin/bash" }).toString());
  if (limit < count + 100) throw new Error(`ulimit -n is ${limit}: raise it above ${count + 100} (ulimit -n 20000) to hold ${count} sockets`);
  const before = await rssOf(pid);
  const sockets = [];
  for (let i = 0; i < count; i += 200) {
    const batch = Array.from({ length: Math.min(200, count - i) }, () => new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once("open", () => resolve(ws));
      ws.once("error", reject);
    }));
    sockets.push(...(await Promise.all(batch)));
  }
  await new Promise((resolve) => setTimeout(resolve, 3000)); // a couple of ping rounds
  const after = await rssOf(pid);
  for (const ws of sockets) ws.terminate();
  const perConnection = (after - before) / count;
  console.log(`idle: ${count} connections, server RSS ${(before / 2 ** 20).toFixed(0)} → ${(after / 2 ** 20).toFixed(0)} MiB, ${(perConnection / 1024).toFixed(1)} KB per connection (target < 50 KB)`);
  return { connections: count, rssBefore: before, rssAfter: after, bytesPerConnection: perConnection };
}

async function active(url, pid, clients, seconds) {
  const crypto = new CoCrypto(await loadNodeCryptoProvider());
  const nodes = [];
  for (let i = 0; i < clients; i++) {
    const node = createAccountNode({ crypto, storage: createMemoryStorage(), gc: false, name: `Client ${i}` });
    node.syncManager.addPeer(await connectWebSocket({ url, WebSocket }));
    nodes.push({ node, map: node.createGroup().createMap() });
  }
  await Promise.all(nodes.map(({ node }) => node.syncManager.waitForAllSynced()));
  const latencies = [];
  const rss = [];
  const deadline = performance.now() + seconds * 1000;
  const sampler = setInterval(() => void rssOf(pid).then((bytes) => rss.push(bytes)), 1000);
  await Promise.all(
    nodes.map(async ({ map }, i) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const started = performance.now();
        map.set(`k${n % 100}`, `value ${i}/${n}`, "trusting");
        await map.waitForSync({ timeoutMs: 30_000 });
        latencies.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }),
  );
  clearInterval(sampler);
  await Promise.all(nodes.map(({ node }) => node.close()));
  const warm = rss.slice(Math.floor(rss.length / 5));
  const drift = (Math.max(...warm) - Math.min(...warm)) / Math.min(...warm);
  const result = {
    clients,
    seconds,
    writes: latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    rssMinMiB: Math.min(...warm) / 2 ** 20,
    rssMaxMiB: Math.max(...warm) / 2 ** 20,
    rssDrift: drift,
  };
  console.log(
    `active: ${clients} clients for ${seconds} s, ${result.writes} writes (${(result.writes / seconds).toFixed(0)}/s), end-to-end p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms (target < 20 ms); server RSS after warm-up ${result.rssMinMiB.toFixed(0)}–${result.rssMaxMiB.toFixed(0)} MiB (${(drift * 100).toFixed(1)} %, target < 10 %)`,
  );
  return result;
}

export async function run() {
  const dir = await mkdtemp(join(tmpdir(), "cosync-bench-scale-"));
  const { child, url } = await startServer(join(dir, "scale.db"));
  try {
    const idleResult = await idle(url, child.pid, Number(process.env.BENCH_SCALE_IDLE ?? 10_000));
    const seconds = process.env.BENCH_SCALE_MINUTES ? Number(process.env.BENCH_SCALE_MINUTES) * 60 : Number(process.env.BENCH_SCALE_SECONDS ?? 60);
    const activeResult = await active(url, child.pid, Number(process.env.BENCH_SCALE_CLIENTS ?? 100), seconds);
    return { idle: idleResult, active: activeResult };
  } finally {
    child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }
}
