// `cosync stats --db <store>`: what a store holds — values by kind, sessions, transactions,
// bytes, deleted values, the biggest values and growth over time (transactions by the day or
// month they were made). A full scan of transaction envelopes; content is never read.
import type { CoId, StorageAdapter } from "@cosync/core";
import { dbFlag, EXIT_OK, operatorCommand } from "./operator-command.js";
import { allIds, openOperatorStore, storeLocation } from "./open-store.js";
import { progressMode, startProgress } from "./progress.js";
import { StoppedError } from "./stop-signal.js";
import { UsageError } from "./usage-error.js";
import { reportValue } from "./value-report.js";

export const statsUsage = `Usage: cosync stats --db <store> [options]

Counts what the store holds: values by kind (account, group, comap, colist, costream, binary
costream, coplaintext), sessions, transactions, stored bytes, deleted values, the biggest values,
growth (transactions and bytes per day, or per month when the data spans over 62 days, by
madeAt), and the storage quota usage the server keeps per authenticated account (the biggest).
Reads every transaction's envelope, never its content.

  --db <file|postgres://…>   the store to read (default: COSYNC_DB)
  --top <n>                  how many of the biggest values to list (default 10)
  --json                     print the statistics as JSON, no progress
  -h, --help                 show this help`;

const flags = { db: { type: "string" }, top: { type: "string" }, json: { type: "boolean" } } as const;

interface KindTotals {
  values: number;
  sessions: number;
  transactions: number;
  bytes: number;
}

export const statsCommand = operatorCommand({
  name: "stats",
  summary: "counts values by kind, sessions, transactions, bytes, biggest values, growth",
  usage: statsUsage,
  flags,
  async run({ values, positionals, stop }) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const topText = values.top ?? "10";
    const top = /^\d+$/.test(topText) ? Number(topText) : Number.NaN;
    if (!(top >= 0 && top <= 10_000)) throw new UsageError(`--top: expected an integer from 0 to 10000, got "${topText}"`);
    const db = dbFlag(values.db);
    const json = values.json === true;
    await using store = await openOperatorStore(storeLocation(db.text, db.source), { mustExist: true });
    let total = 0;
    for await (const _ of allIds(store.storage)) total++;
    const progress = startProgress(progressMode(json), "stats", total, "values");
    const byKind: Record<string, KindTotals> = {};
    const all: KindTotals = { values: 0, sessions: 0, transactions: 0, bytes: 0 };
    let deleted = 0;
    const biggest: Array<{ id: CoId; kind: string; transactions: number; bytes: number }> = [];
    const madeAtByDay = new Map<string, { transactions: number; bytes: number }>();
    try {
      for await (const id of allIds(store.storage)) {
        if (stop.requested !== undefined) throw new StoppedError(`stopped by ${stop.requested}`);
        const report = await reportValue(store.storage, id, { keepMadeAts: true });
        progress.advance(1);
        if (report === undefined) continue;
        const kind = byKind[report.kind] ?? { values: 0, sessions: 0, transactions: 0, bytes: 0 };
        byKind[report.kind] = kind;
        for (const totals of [kind, all]) {
          totals.values++;
          totals.sessions += report.sessions.length;
          totals.transactions += report.transactions;
          totals.bytes += report.bytes;
        }
        if (report.deleted) deleted++;
        biggest.push({ id, kind: report.kind, transactions: report.transactions, bytes: report.bytes });
        if (biggest.length > top * 4 + 100) trimBiggest(biggest, top);
        const bytesPerTx = report.transactions === 0 ? 0 : report.bytes / report.transactions;
        for (const madeAt of report.madeAts ?? []) {
          const day = new Date(madeAt).toISOString().slice(0, 10);
          const bucket = madeAtByDay.get(day) ?? { transactions: 0, bytes: 0 };
          bucket.transactions++;
          bucket.bytes += bytesPerTx;
          madeAtByDay.set(day, bucket);
        }
      }
    } finally {
      progress.stop();
    }
    trimBiggest(biggest, top);
    const growth = growthOf(madeAtByDay);
    const quotaUsage = await quotaUsageOf(store.storage, top);
    const stats = { store: store.description, ...all, deleted, byKind, biggest, growth, quotaUsage };
    process.stdout.write(json ? `${JSON.stringify(stats)}\n` : describe(stats));
    return EXIT_OK;
  },
});

/** Bytes each authenticated account stored, as the server charges them against its quota (biggest first). */
async function quotaUsageOf(storage: StorageAdapter, top: number): Promise<Array<{ account: string; bytes: number }>> {
  const counters = (await storage.readCounters?.(QUOTA_COUNTER_PREFIX)) ?? new Map<string, number>();
  return [...counters]
    .map(([name, bytes]) => ({ account: name.slice(QUOTA_COUNTER_PREFIX.length), bytes }))
    .filter(({ bytes }) => bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top);
}

// The server's name for an account's stored bytes (packages/server's QuotaLedger).
const QUOTA_COUNTER_PREFIX = "stored-bytes:";

function trimBiggest(biggest: Array<{ bytes: number }>, top: number): void {
  biggest.sort((a, b) => b.bytes - a.bytes);
  biggest.length = Math.min(biggest.length, top);
}

/** Per day, or per month when the days span more than 62 days; bytes estimated per value's average. */
function growthOf(byDay: Map<string, { transactions: number; bytes: number }>) {
  const days = [...byDay.keys()].sort();
  const spanDays = days.length === 0 ? 0 : (Date.parse(days[days.length - 1] as string) - Date.parse(days[0] as string)) / 86_400_000;
  const period = spanDays > 62 ? "month" : "day";
  const buckets = new Map<string, { transactions: number; bytes: number }>();
  for (const day of days) {
    const key = period === "month" ? day.slice(0, 7) : day;
    const from = byDay.get(day) as { transactions: number; bytes: number };
    const to = buckets.get(key) ?? { transactions: 0, bytes: 0 };
    to.transactions += from.transactions;
    to.bytes += from.bytes;
    buckets.set(key, to);
  }
  return { period, buckets: [...buckets].map(([when, b]) => ({ when, transactions: b.transactions, bytes: Math.round(b.bytes) })) };
}

function describe(stats: {
  store: string;
  values: number;
  sessions: number;
  transactions: number;
  bytes: number;
  deleted: number;
  byKind: Record<string, KindTotals>;
  biggest: ReadonlyArray<{ id: CoId; kind: string; transactions: number; bytes: number }>;
  growth: ReturnType<typeof growthOf>;
  quotaUsage: ReadonlyArray<{ account: string; bytes: number }>;
}): string {
  const lines = [
    `${stats.store}`,
    `  ${stats.values} values (${stats.deleted} deleted), ${stats.sessions} sessions, ${stats.transactions} transactions, ${stats.bytes} bytes`,
    "  by kind:",
  ];
  for (const [kind, t] of Object.entries(stats.byKind).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`    ${kind.padEnd(16)} ${String(t.values).padStart(8)} values ${String(t.transactions).padStart(10)} tx ${String(t.bytes).padStart(12)} bytes`);
  }
  lines.push("  biggest values:");
  for (const b of stats.biggest) lines.push(`    ${b.id}  ${b.kind}  ${b.transactions} tx, ${b.bytes} bytes`);
  lines.push(`  growth (transactions by ${stats.growth.period} made):`);
  for (const b of stats.growth.buckets) lines.push(`    ${b.when}  ${b.transactions} tx, ~${b.bytes} bytes`);
  lines.push(`  storage quota usage by account${stats.quotaUsage.length === 0 ? ": none recorded" : ":"}`);
  for (const u of stats.quotaUsage) lines.push(`    ${u.account}  ${u.bytes} bytes`);
  return `${lines.join("\n")}\n`;
}
