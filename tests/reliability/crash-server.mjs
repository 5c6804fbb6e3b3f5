// A sync server in a child process for the crash loops: `node crash-server.mjs <port> <db>` starts
// cosync's built server on <port> with <db> (a SQLite file or a postgres:// URL) and prints
// "listening on <url>". The tests SIGKILL it; it never shuts down by itself.
import { startSyncServer } from "@cosync/server";

const [port, db] = process.argv.slice(2);
const server = await startSyncServer({ port: Number(port), db, processMetrics: false, log: { level: "silent" } });
process.stdout.write(`listening on ${server.url}\n`);
