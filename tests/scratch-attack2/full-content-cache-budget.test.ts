// The full-content cache's "16 MiB process-wide budget" counts only transactionPayloadSize
// (`changes` / `encryptedChanges`). Header bytes (up to maxHeaderBytes = 64 KiB each), `meta`,
// session ids, signatures and per-transaction JSON are free, so what it (and, through
// socket-channel's serialised-text WeakMap, the encoded text of every cached message) pins is
// unbounded; and a log with (near) zero payload leaves its WeakRef in `age` forever.
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { type CoValueHeader, idForHeader, makeTrustingTransaction, signerSecretOfAgent, VerifiedLog } from "@cosync/core";
import { expect, test } from "vitest";
import { fullContentOf } from "../../packages/core/src/sync/full-content-cache.js";
import { plainHeader } from "../helpers/nodes.js";
import { blake3, crypto, newAgent, sessionOf } from "../../packages/server/src/test-fixtures/attack-kit.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function logWith(header: CoValueHeader, txs: { changes: unknown[]; meta?: Record<string, string> }[]): VerifiedLog {
  const log = new VerifiedLog(idForHeader(header, blake3), header, crypto);
  const agent = newAgent();
  const session = log.session(sessionOf(crypto.agentId(agent)));
  for (const t of txs) session.appendOwn(makeTrustingTransaction(t.changes as never, Date.now(), t.meta), signerSecretOfAgent(agent), crypto);
  return log;
}

const serialisedSize = (log: VerifiedLog) => fullContentOf(log).reduce((sum, m) => sum + JSON.stringify(m).length, 0);

test("honest payload: the cache stays near its 16 MiB budget (control)", () => {
  const logs = Array.from({ length: 40 }, () => logWith(plainHeader(crypto), [{ changes: ["c".repeat(1_000_000)] }]));
  const first = fullContentOf(logs[0] as VerifiedLog);
  for (const log of logs) fullContentOf(log);
  expect(fullContentOf(logs[0] as VerifiedLog)).not.toBe(first); // evicted: the budget holds
});

test("meta and header bytes are not counted: 40 values of ~1.1 MB each all stay cached", () => {
  const logs = Array.from({ length: 40 }, () =>
    logWith({ ...plainHeader(crypto), meta: { pad: "h".repeat(60_000) } }, [{ changes: [], meta: { pad: "m".repeat(1_000_000) } }]),
  );
  const firsts = logs.map((log) => fullContentOf(log));
  const stillCached = logs.filter((log, i) => fullContentOf(log) === firsts[i]).length;
  const bytes = logs.reduce((sum, log) => sum + serialisedSize(log), 0);
  console.log(`cached: ${stillCached}/40 values, ${(bytes / 2 ** 20).toFixed(0)} MiB of content (budget 16 MiB)`);
  expect(bytes).toBeGreaterThan(40 * 2 ** 20);
  // Expected: no more than ~16 MiB of content stays cached.
  expect(stillCached).toBeLessThan(20);
});

test("zero-payload values leave an entry in `age` after their log is gone", async () => {
  const N = 200_000;
  const header = plainHeader(crypto);
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < N; i++) fullContentOf(new VerifiedLog(`co_z${i}` as never, header, crypto)); // header-only values
  // WeakRef targets stay alive until the current job ends: let it end before collecting.
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  console.log(`${N} header-only logs cached and dropped: heap still +${(grown / 2 ** 20).toFixed(1)} MiB (${Math.round(grown / N)} B each)`);
  // Expected: once the logs are collected, the cache holds nothing of them.
  expect(grown).toBeLessThan(2 * 2 ** 20);
});
