// `cosync conformance <ws-url>`: replays the protocol's required behaviours against any sync
// server (cosync's or cojson's) and prints pass/fail per case; exit 1 if any case fails.
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { formatConformanceReport, runConformance } from "@cosync/testing/conformance";
import { connectWebSocket } from "@cosync/transport-ws";
import { WebSocket } from "ws";
import type { Command } from "./cli-commands.js";
import { describeError } from "./describe-error.js";
import { parseFlags } from "./parse-flags.js";
import { UsageError } from "./usage-error.js";

export const conformanceUsage = `Usage: cosync conformance <ws://host:port> [options]

Checks a running sync server against the wire protocol (cojson 0.20's, plus the cosync extensions
the server announces at GET /protocol): every load answered, acknowledgements carrying the full
known state, corrections on gaps, not-found, dependencies first, pieces of at most 100 KiB, pings,
refusal of bad signatures and ids, deletion. Writes a few small test values to the server.

  --filter <text>     only the cases whose name contains this
  --timeout <ms>      how long each expectation waits (default 5000)
  -h, --help          show this help

Exit code: 0 every case passed, 1 a case failed (the report says which and why), 2 usage.`;

const flags = { filter: { type: "string" }, timeout: { type: "string" }, help: { type: "boolean", short: "h" } } as const;

export const conformanceCommand: Command = {
  summary: "checks a running sync server against the wire protocol",
  async run(args) {
    let url: string;
    let options: { filter?: string; timeoutMs?: number };
    try {
      const { values, positionals } = parseFlags(args, flags);
      if (values.help === true) {
        process.stdout.write(`${conformanceUsage}\n`);
        return 0;
      }
      const [target, ...extra] = positionals;
      if (target === undefined || !/^wss?:\/\/./i.test(target)) throw new UsageError(`expected the server's ws:// or wss:// URL, got ${target === undefined ? "nothing" : `"${target}"`}`);
      if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
      url = target;
      const timeout = values.timeout;
      const timeoutMs = timeout === undefined ? undefined : /^\d+$/.test(timeout) ? Number(timeout) : Number.NaN;
      if (timeoutMs !== undefined && !(timeoutMs >= 1 && timeoutMs <= 600_000)) throw new UsageError(`--timeout: expected milliseconds from 1 to 600000, got "${timeout}"`);
      options = { ...(values.filter === undefined ? {} : { filter: values.filter }), ...(timeoutMs === undefined ? {} : { timeoutMs }) };
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      process.stderr.write(`cosync: ${error.message}\nRun "cosync conformance --help" for the options.\n`);
      return 2;
    }
    // The suite writes as accounts of its own, which a server requiring authentication refuses:
    // say so up front instead of failing every case with the same refusal.
    try {
      const probe = await connectWebSocket({ url, WebSocket: WebSocket as never, connectTimeoutMs: options.timeoutMs ?? 5000 });
      probe.close();
    } catch (error) {
      const message = describeError(error);
      const hint = /HTTP 401/.test(message) ? "; the suite writes as accounts of its own: run it against a test instance without --auth" : "";
      process.stderr.write(`cosync: ${message}${hint}\n`);
      return 1;
    }
    try {
      const report = await runConformance({ url, WebSocket: WebSocket as never, crypto: await loadNodeCryptoProvider(), ...options });
      process.stdout.write(`${formatConformanceReport(report)}\n`);
      return report.passed ? 0 : 1;
    } catch (error) {
      process.stderr.write(`cosync: conformance run failed: ${describeError(error)}\n`);
      return 1;
    }
  },
};
