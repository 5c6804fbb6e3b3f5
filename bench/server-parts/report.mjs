// The report of bench/server.mjs: a line per server per round, then the table of medians over the
// rounds with each ratio against cojson (WasmCrypto and NapiCrypto), its target and verdict, the
// floors' columns and, with BENCH_SERVER_BEFORE, the code before a change.
import { availableParallelism } from "node:os";
import { printTable } from "../harness.mjs";

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const median = (values) =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

const pct = (share) => (share === undefined ? "?" : `${(share * 100).toFixed(0)} %`);

export function describeRound(r, { fanOutSubscribers }) {
  const parts = [];
  if (r.latencies !== undefined) {
    parts.push(
      `latency p50 ${median(r.latencies).toFixed(2)} ms, burst ack ${r.burstAckMs.toFixed(0)} ms, at B ${r.burstAtBMs.toFixed(0)} ms, ` +
        `cold load ${r.coldLoadMs.toFixed(0)} ms, RSS ${r.rssAfterBurstMb.toFixed(0)} MB`,
    );
  }
  if (r.ingest1 !== undefined) {
    const all = [r.ingest1, r.ingest10, r.ingest1tx];
    const repeated = all.map((i) => i.repeatedTx);
    parts.push(
      `ingest 50-tx ${r.ingest1.txPerSec.toFixed(0)} / ${r.ingest10.txPerSec.toFixed(0)} tx/s with 1 / 10 subscribers, 1-tx ${r.ingest1tx.txPerSec.toFixed(0)} tx/s ` +
        `(server CPU ${all.map((i) => pct(i.serverCpuShare)).join(" / ")}, main thread busy ${all.map((i) => pct(i.serverBusyShare)).join(" / ")}, ` +
        `load generator ${all.map((i) => pct(i.parentCpuShare)).join(" / ")}, RSS after 1-tx ${r.ingest1tx.rssMb.toFixed(0)} MB` +
        `${repeated.some((n) => n > 0) ? `, ${repeated.join(" / ")} tx sent to subscribers more than once` : ""})`,
    );
  }
  if (r.warmLoadMs !== undefined) {
    const sorted = [...r.fanOutMs].sort((a, b) => a - b);
    parts.push(
      `warm load ${median(r.warmLoadMs).toFixed(1)} ms (median of ${r.warmLoadMs.length}), ` +
        `fan-out to ${fanOutSubscribers} p50 ${quantile(sorted, 0.5).toFixed(2)} ms p99 ${quantile(sorted, 0.99).toFixed(2)} ms`,
    );
  }
  return parts.join(", ");
}

// The project's server targets as cosync/baseline ratios, per baseline; undefined = informational.
// Higher is better for the tx/s rows, lower for the others.
const targetsFor = ({ burst: BURST, fanOutSubscribers: FANOUT_SUBSCRIBERS }) => ({
  "single write A→server→B p50 (ms)": { wasm: 0.5, napi: 0.5 },
  "single write A→server→B p99 (ms)": { wasm: 0.5, napi: 0.5 },
  [`${BURST} burst: last write → server ack (ms)`]: { wasm: 0.5, napi: 0.5 },
  [`${BURST} burst: last write → B has all (ms)`]: { wasm: 0.5, napi: 0.5 },
  [`cold load of ${BURST}-tx value after restart (ms)`]: { wasm: 0.5, napi: 0.5 },
  "server RSS after the burst (MB)": { wasm: 0.5, napi: 0.5 },
  "ingest 1-tx, 1 subscriber (acked tx/s)": { wasm: 3, napi: 1.5 },
  "ingest 50-tx, 1 subscriber (acked tx/s)": { wasm: 2 },
  "server RSS after the 1-tx ingest (MB)": { wasm: 0.75, napi: 0.75 },
  [`warm load of ${BURST}-tx value (ms)`]: { wasm: 0.5, napi: 0.5 },
  [`fan-out to ${FANOUT_SUBSCRIBERS} subscribers p99 (ms)`]: { wasm: 0.5, napi: 0.5 },
});
const INFO_NOTES = { "server main thread busy during 1-tx ingest (%)": "info; cosync ≥ 70 %" };

export function report(results, failures, settings) {
  const {
    burst: BURST,
    fanOutSubscribers: FANOUT_SUBSCRIBERS,
    latencyWrites: LATENCY_WRITES,
    ingest: INGEST,
    ingestLoads: INGEST_LOADS,
  } = settings;
  const { parts: PARTS, baselines: BASELINES } = settings;
  const TARGETS = targetsFor(settings);
  const summary = (kind) => {
    const rounds = results[kind] ?? [];
    const latencies = rounds.flatMap((r) => r.latencies ?? []).sort((a, b) => a - b);
    // Median over the rounds that measured it (parts can be skipped).
    const median = (perRound) => {
      const values = perRound.filter((v) => v !== undefined).sort((a, b) => a - b);
      return values.length === 0 ? undefined : quantile(values, 0.5);
    };
    const pooled = (of, q) => {
      const values = rounds.flatMap((r) => of(r) ?? []).sort((a, b) => a - b);
      return values.length === 0 ? undefined : quantile(values, q);
    };
    const percent = (share) => (share === undefined ? undefined : share * 100);
    return {
      "single write A→server→B p50 (ms)": latencies.length === 0 ? undefined : quantile(latencies, 0.5),
      "single write A→server→B p99 (ms)": latencies.length === 0 ? undefined : quantile(latencies, 0.99),
      [`${BURST} burst: last write → server ack (ms)`]: median(rounds.map((r) => r.burstAckMs)),
      [`${BURST} burst: last write → B has all (ms)`]: median(rounds.map((r) => r.burstAtBMs)),
      [`cold load of ${BURST}-tx value after restart (ms)`]: median(rounds.map((r) => r.coldLoadMs)),
      "server RSS after the burst (MB)": median(rounds.map((r) => r.rssAfterBurstMb)),
      "server RSS idle, just started (MB)": median(rounds.map((r) => r.rssIdleMb)),
      "ingest 1-tx, 1 subscriber (acked tx/s)": median(rounds.map((r) => r.ingest1tx?.txPerSec)),
      "ingest 50-tx, 1 subscriber (acked tx/s)": median(rounds.map((r) => r.ingest1?.txPerSec)),
      "ingest 50-tx, 10 subscribers (acked tx/s)": median(rounds.map((r) => r.ingest10?.txPerSec)),
      "server RSS after the 1-tx ingest (MB)": median(rounds.map((r) => r.ingest1tx?.rssMb)),
      "server RSS after the 1-tx ingest, idle values unloaded + full GC (MB)": median(rounds.map((r) => r.ingest1tx?.rssAfterUnloadMb)),
      "JS heap used after the 1-tx ingest (MB)": median(rounds.map((r) => r.ingest1tx?.heapUsedMb)),
      "JS heap used after it, idle values unloaded + full GC (MB)": median(rounds.map((r) => r.ingest1tx?.heapUsedAfterUnloadMb)),
      "values unloaded after the 1-tx ingest": median(rounds.map((r) => r.ingest1tx?.valuesUnloaded)),
      "server RSS after 50-tx ingest with 10 subscribers (MB)": median(rounds.map((r) => r.ingest10?.rssMb)),
      [`warm load of ${BURST}-tx value (ms)`]: median(
        rounds.map((r) =>
          r.warmLoadMs === undefined
            ? undefined
            : quantile(
                [...r.warmLoadMs].sort((a, b) => a - b),
                0.5,
              ),
        ),
      ),
      [`fan-out to ${FANOUT_SUBSCRIBERS} subscribers p50 (ms)`]: pooled((r) => r.fanOutMs, 0.5),
      [`fan-out to ${FANOUT_SUBSCRIBERS} subscribers p99 (ms)`]: pooled((r) => r.fanOutMs, 0.99),
      "server CPU per 1-tx message, all threads (µs)": median(rounds.map((r) => r.ingest1tx?.serverCpuUsPerMessage)),
      "server CPU per 1-tx message, main thread (µs)": median(rounds.map((r) => r.ingest1tx?.serverMainThreadCpuUsPerMessage)),
      // What the machine's cores allow at that CPU cost, after the load generator's share: no
      // pipelining passes it, so a tx/s target above it needs less CPU per message, not more overlap.
      "1-tx ingest ceiling: cores / CPU per message (tx/s)": median(
        rounds.map((r) =>
          r.ingest1tx === undefined
            ? undefined
            : ((availableParallelism() - r.ingest1tx.parentCpuShare) * 1e6) / r.ingest1tx.serverCpuUsPerMessage,
        ),
      ),
      "server main thread busy during 1-tx ingest (%)": median(rounds.map((r) => percent(r.ingest1tx?.serverBusyShare))),
      "server main thread busy during 50-tx ingest, 1 subscriber (%)": median(rounds.map((r) => percent(r.ingest1?.serverBusyShare))),
      "server main thread busy during 50-tx ingest, 10 subscribers (%)": median(rounds.map((r) => percent(r.ingest10?.serverBusyShare))),
    };
  };
  const ours = summary("cosync");
  const baselines = { wasm: summary("cojson"), napi: summary("cojson-napi") };
  const before = settings.withBefore ? summary("cosync-before") : undefined;
  const floor = summary("floor");
  const floorVerify = summary("floor-verify");
  const floorDurable = summary("floor-durable");
  const rows = Object.keys(ours)
    .filter((metric) => ours[metric] !== undefined)
    .map((metric) => {
      const higherIsBetter = metric.includes("tx/s");
      const row = { metric, cosync: ours[metric], "cojson-wasm": baselines.wasm[metric], "cojson-napi": baselines.napi[metric] };
      for (const [name, theirs] of Object.entries(baselines)) {
        const target = TARGETS[metric]?.[name];
        const ratio = theirs[metric] === undefined ? undefined : ours[metric] / theirs[metric];
        row[`cosync/cojson-${name}`] = ratio;
        row[`target vs ${name}`] = target === undefined ? `(${INFO_NOTES[metric] ?? "info"})` : `${higherIsBetter ? "≥" : "≤"} ${target}×`;
        row[`verdict vs ${name}`] =
          target === undefined ? "" : ratio === undefined ? "n/a" : (higherIsBetter ? ratio >= target : ratio <= target) ? "PASS" : "FAIL";
      }
      row.floor = floor[metric];
      row["floor+verify"] = floorVerify[metric];
      row["floor+verify+store"] = floorDurable[metric];
      if (before !== undefined) {
        row["cosync-before"] = before[metric];
        row["cosync/before"] = before[metric] === undefined ? undefined : ours[metric] / before[metric];
      }
      return row;
    });
  printTable(
    [
      "metric",
      "cosync",
      "cojson-wasm",
      "cojson-napi",
      "cosync/cojson-wasm",
      "target vs wasm",
      "verdict vs wasm",
      "cosync/cojson-napi",
      "target vs napi",
      "verdict vs napi",
      "floor",
      "floor+verify",
      "floor+verify+store",
      ...(before === undefined ? [] : ["cosync-before", "cosync/before"]),
    ],
    rows,
  );
  console.log(
    "\nfloor: a relay that parses, acks, keeps and forwards frames but neither verifies nor stores (bench/server-parts/floor-server.mjs), " +
      "driven by the same raw clients in the same run; no server can beat it on these rows, so a target below it is out of reach of this harness.\n" +
      "floor+verify: the same relay plus, per session piece, the work every server that verifies signatures must do (BLAKE3 over its transactions, one Ed25519 " +
      "verification with libsodium); still no storage. A target below it is out of reach of any verifying server on this harness.\n" +
      "floor+verify+store: floor+verify that also commits every message to SQLite before acking or forwarding it (one row per message, group commit " +
      "on a writer thread, WAL with an fsync per commit). A target below it is out of reach of any server that verifies and acks only what is durable.",
  );
  for (const [kind, message] of Object.entries(failures)) console.log(`\n${kind} baseline FAILED, its columns are empty: ${message}`);
  console.log(
    "\ntargets (the project's server-throughput goals): 1-tx ingest ≥ 3× cojson-wasm and ≥ 1.5× cojson-napi; 50-tx ingest with 1 subscriber ≥ 2× cojson-wasm; " +
      "RSS after the 1-tx ingest ≤ 0.75× cojson; latency, burst lag, cold load and RSS after the burst ≤ ½ of cojson's; " +
      "the server's main thread busy during the 1-tx ingest ≥ 70 % for cosync (informational). " +
      `${results.cosync.length} rounds, order rotating; latency percentiles pooled over ${results.cosync.length * LATENCY_WRITES} writes per server. ` +
      `SQLite: ${process.env.BENCH_SERVER_SQLITE_SYNCHRONOUS === undefined ? "each server's default (cosync fsyncs every commit, cojson's WAL default only at checkpoints)" : `synchronous=${process.env.BENCH_SERVER_SQLITE_SYNCHRONOUS} for all`}.`,
  );
  const config = {
    rounds: results.cosync.length,
    latencyWrites: LATENCY_WRITES,
    burst: BURST,
    ingest: { ...INGEST, loads: INGEST_LOADS },
    parts: [...PARTS],
    baselines: Object.fromEntries(Object.entries(BASELINES).map(([kind, { column, crypto }]) => [column, { kind, crypto }])),
    baselineFailures: failures,
    sqliteSynchronous:
      process.env.BENCH_SERVER_SQLITE_SYNCHRONOUS ??
      "each server's default: cosync FULL (fsync per commit), cojson WAL default (fsync at checkpoints)",
  };
  return { config, rows, rounds: results };
}
