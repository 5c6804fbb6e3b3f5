#!/usr/bin/env node
// `npm run example:todo`: a cosync sync server (SQLite file under examples/todo/.data) and the todo
// app's Vite dev server pointed at it. Ctrl-C stops both. COSYNC_PORT and TODO_PORT pick the ports
// (4200 and 5173 by default; 0 picks free ones).
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { startSyncServer } from "@cosync/server";
import { createServer } from "vite";

const exampleDir = fileURLToPath(new URL("../examples/todo/", import.meta.url));
const dataDir = fileURLToPath(new URL("../examples/todo/.data/", import.meta.url));

function port(name, fallback) {
  const value = process.env[name];
  if (value === undefined || value === "") return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) throw new Error(`${name}: expected a port number, got ${JSON.stringify(value)}`);
  return parsed;
}

await mkdir(dataDir, { recursive: true });
const syncPort = port("COSYNC_PORT", 4200);
let sync;
try {
  sync = await startSyncServer({ host: "127.0.0.1", port: syncPort, db: `${dataDir}sync.db`, processMetrics: false, log: { level: "warn" } });
} catch (error) {
  const inUse = error?.code === "EADDRINUSE" || /in use/i.test(String(error?.message));
  console.error(
    inUse
      ? `example:todo: port ${syncPort} is already in use (is \`npm start\` running?). Stop it, or pick another port: COSYNC_PORT=0 npm run example:todo`
      : `example:todo: the sync server could not start: ${error?.message ?? error}`,
  );
  process.exit(1);
}
process.env.VITE_COSYNC_SERVER = sync.url;
const vite = await createServer({ root: exampleDir, server: { host: "127.0.0.1", port: port("TODO_PORT", 5173), strictPort: false } });
await vite.listen();

const appUrl = vite.resolvedUrls?.local[0] ?? `http://127.0.0.1:${vite.config.server.port}/`;
console.log(`cosync sync server: ${sync.url} (data in examples/todo/.data/sync.db)`);
console.log(`todo app:           ${appUrl}`);
console.log("Open it in two browsers (or a private window) and share a list by invite link. Ctrl-C stops both.");

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await vite.close();
  await sync.close();
  process.exit(0);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
