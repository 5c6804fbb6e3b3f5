// A cosync sync server in a child process for the crash loops and the privacy scan:
// `node child-server.mjs <port> <db> [log level]` starts the built server on <port> with <db> (a
// SQLite file or a postgres:// URL), logging JSON lines to stdout at [log level] (default silent),
// and announces "listening on <url>" as `cosync serve` does (a JSON record with `url`). The tests
// SIGKILL or SIGTERM it.
import { startSyncServer } from "@cosync/server";

const [port, db, level = "silent"] = process.argv.slice(2);
const server = await startSyncServer({ port: Number(port), db, processMetrics: false, log: { level } });
process.stdout.write(`${JSON.stringify({ level: 30, msg: `listening on ${server.url}`, url: server.url })}\n`);
process.once("SIGTERM", () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
