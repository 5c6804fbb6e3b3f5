#!/usr/bin/env node
// `npm run conformance -- ws://host:port [--filter text] [--timeout ms]`: runs the wire conformance
// suite (@cosync/testing, built) against any sync server and exits 1 if a case fails. The same
// logic is meant to back `cosync conformance <url>` (see docs/conformance.md).
import { parseArgs } from "node:util";
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { formatConformanceReport, runConformance } from "@cosync/testing";
import { WebSocket } from "ws";

const { positionals, values } = parseArgs({ allowPositionals: true, options: { filter: { type: "string" }, timeout: { type: "string" } } });
const url = positionals[0];
if (url === undefined || !/^wss?:\/\//.test(url)) {
  process.stderr.write("usage: npm run conformance -- ws://host:port [--filter text] [--timeout ms]\n");
  process.exit(2);
}
const report = await runConformance({
  url,
  WebSocket,
  crypto: await loadNodeCryptoProvider(),
  ...(values.filter === undefined ? {} : { filter: values.filter }),
  ...(values.timeout === undefined ? {} : { timeoutMs: Number(values.timeout) }),
});
process.stdout.write(`${formatConformanceReport(report)}\n`);
process.exit(report.passed ? 0 : 1);
