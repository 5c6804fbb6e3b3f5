// The server side of bench/server.mjs: `node bench/server-parts/child.mjs <kind> <file>` starts one
// server (cosync, cosync-before, a cojson baseline or a floor) on a SQLite file and answers the
// parent over IPC (stats, unloading idle values, close). It imports only the server it runs, so
// its RSS and CPU are that server's own.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";

/** The baselines: child kind → the `crypto` option of bench/cojson-server.mjs. */
export const COJSON_KINDS = { cojson: "wasm", "cojson-napi": "napi" };
// BENCH_SERVER_BEFORE=<another cosync checkout, built>: the "cosync-before" kind runs its server.
const BEFORE_DIR = process.env.BENCH_SERVER_BEFORE;

export const cpuMs = (usage) => (usage.user + usage.system) / 1000;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await serveAsChild(process.argv[2], process.argv[3]).catch((error) => {
    // Tell the parent exactly what failed (e.g. a native module missing), then exit.
    process.send({ type: "failed", error: String(error?.stack ?? error) }, () => process.exit(1));
  });
}

async function serveAsChild(kind, file) {
  // Unset: each server's own default, which differ. cosync sets synchronous=FULL (an fsync per
  // commit: its acks promise durability). cojson's recipe sets nothing; better-sqlite3 then reports
  // synchronous=2 but, built with SQLITE_DEFAULT_WAL_SYNCHRONOUS=1, syncs a WAL database only at
  // checkpoints (strace: 8 fsyncs for 100 commits, 109 with an explicit FULL). Set it to compare
  // at equal durability.
  const synchronous = process.env.BENCH_SERVER_SQLITE_SYNCHRONOUS;
  let server;
  let storage;
  if (kind === "cosync" || kind === "cosync-before") {
    const { startSyncServer } =
      kind === "cosync"
        ? await import("@cosync/server")
        : await import(pathToFileURL(join(BEFORE_DIR, "packages/server/dist/index.js")).href);
    // Idle values are unloaded only when the parent asks (unloadIdle below): no periodic collection
    // within a run, and on request everything not in use counts as idle.
    const options = { port: 0, log: { level: "silent" }, processMetrics: false, gc: { intervalMs: 3_600_000, idleMs: 0 } };
    if (synchronous === undefined) {
      server = await startSyncServer({ ...options, db: file });
    } else {
      const { openSqliteStorage } = await import("@cosync/storage-sqlite");
      storage = await openSqliteStorage({ file, synchronous });
      server = await startSyncServer({ ...options, storage });
    }
  } else if (kind === "floor" || kind === "floor-verify" || kind === "floor-durable") {
    const { startFloorServer } = await import("./floor-server.mjs");
    server = await startFloorServer({ verify: kind !== "floor", durable: kind === "floor-durable", file, synchronous });
  } else if (COJSON_KINDS[kind] !== undefined) {
    const { startCojsonSyncServer } = await import("../cojson-server.mjs");
    server = await startCojsonSyncServer({ file, synchronous, crypto: COJSON_KINDS[kind] });
  } else {
    throw new TypeError(`unknown server kind ${kind}`);
  }
  process.on("disconnect", () => process.exit(1)); // the parent died: never linger
  process.on("message", (message) => {
    if (message.type === "stats") {
      process.send({
        type: "stats",
        id: message.id,
        rss: process.memoryUsage().rss,
        memory: process.memoryUsage(),
        heapSpaces: Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, [s.space_size, s.space_used_size]])),
        cpuMs: cpuMs(process.cpuUsage()),
        mainThreadCpuMs: mainThreadCpuMs(),
        elu: performance.eventLoopUtilization(), // cumulative { idle, active, utilization } of the main thread
      });
    } else if (message.type === "unloadIdle") {
      unloadIdleValues(kind, server).then(
        (unloaded) =>
          process.send({
            type: "unloadIdle",
            id: message.id,
            unloaded,
            rss: process.memoryUsage().rss,
            heapUsed: process.memoryUsage().heapUsed,
          }),
        (error) => process.send({ type: "unloadIdle", id: message.id, error: String(error?.stack ?? error) }),
      );
    } else if (message.type === "close") {
      server
        .close()
        .then(() => storage?.close())
        .then(
          () => process.exit(0),
          () => process.exit(1),
        );
    }
  });
  // The crypto the server really runs on (cojson: its LocalNode's provider), checked by the parent.
  process.send({ type: "ready", url: server.url, crypto: server.node?.crypto?.constructor?.name });
}

/**
 * Unloads every value nothing uses any more, the way each server's own idle-value collector
 * does, then runs a full V8 GC (the same for every kind) so RSS shows what is still held:
 * cosync's `collectGarbage` (started with idleMs 0); cojson's collector's own step with no
 * minimum age (`internalUnmountCoValue` of each value it tracked). Repeats while the count grows,
 * since the server drops the closed connections' subscriptions as their close events arrive.
 */
async function unloadIdleValues(kind, server) {
  const unloadOnce = () => {
    if (kind === "cosync" || kind === "cosync-before") return server.node.collectGarbage();
    if (COJSON_KINDS[kind] === undefined) return 0; // the floors hold frames, not values
    let unloaded = 0;
    for (const coValue of server.node.allCoValues()) {
      if (coValue.verified?.lastAccessed && server.node.internalUnmountCoValue(coValue.id)) unloaded++;
    }
    return unloaded;
  };
  let total = 0;
  for (let attempt = 0, quiet = 0; attempt < 40 && quiet < 3; attempt++) {
    const unloaded = unloadOnce();
    total += unloaded;
    quiet = unloaded === 0 ? quiet + 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  v8.setFlagsFromString("--expose-gc");
  runInNewContext("gc")();
  return total;
}

/**
 * CPU time of the process's main thread alone (Linux: its /proc task entry, in clock ticks of
 * 10 ms), so a server's CPU splits into the event loop's and everything else's (V8's compiler and
 * GC threads, a storage writer thread); undefined where /proc is not there.
 */
function mainThreadCpuMs() {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime
  } catch {
    return undefined;
  }
}
