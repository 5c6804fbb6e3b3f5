// The writer thread of WorkerSqliteWriter: its own connection to the database file, running each
// batch it is sent as one transaction and replying only after the commit (fsync in "full" mode).
import { parentPort, workerData } from "node:worker_threads";
import { openBetterSqlite3Driver } from "./better-sqlite3-driver.js";
import type { SqliteDriver } from "./sqlite-driver.js";
import type { WorkerReply } from "./sqlite-writer.js";
import { runWriteBatch, type WriteOp } from "./sqlite-writes.js";

const port = parentPort;
if (port === null) throw new Error("sqlite-writer-worker: expected to run as a worker thread");
const { file, synchronous } = workerData as { readonly file: string; readonly synchronous: "normal" | "full" };
const reply = (message: WorkerReply) => port.postMessage(message);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

let driver: SqliteDriver | undefined;
try {
  driver = openBetterSqlite3Driver(file);
  driver.run("PRAGMA busy_timeout = 5000");
  // Per connection: the opener configured its own, this one does the commits.
  driver.run(`PRAGMA synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"}`);
  reply({ type: "ready" });
} catch (error) {
  reply({ type: "failed", message: messageOf(error) });
  driver?.close();
  port.close();
}

port.on("message", (message: { readonly type: "write"; readonly ops: WriteOp[] } | { readonly type: "close" }) => {
  if (driver === undefined) return;
  if (message.type === "close") {
    driver.close();
    driver = undefined;
    reply({ type: "closed" });
    port.close();
    return;
  }
  try {
    reply({ type: "done", results: runWriteBatch(driver, message.ops) });
  } catch (error) {
    reply({ type: "failed", message: messageOf(error) });
  }
});
