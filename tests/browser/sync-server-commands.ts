// Vitest browser commands (they run in the Vitest Node process): a real cosync sync server on a
// SQLite file, started, restarted on the same port and file, and stopped on request of a test
// running in Chromium. Only ids handed out here are accepted; nothing else reaches the server.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserCommand } from "vitest/node";

interface RunningServer {
  readonly dir: string;
  readonly file: string;
  port: number;
  server: { readonly url: string; close(): Promise<void> } | undefined;
}

const servers = new Map<string, RunningServer>();

async function listen(running: RunningServer): Promise<string> {
  // Imported when a test asks: the config must load without the server built.
  const { startSyncServer } = await import("@cosync/server");
  const server = await startSyncServer({ host: "127.0.0.1", port: running.port, db: running.file, processMetrics: false, log: { level: "silent" } });
  running.server = server;
  running.port = Number(new URL(server.url).port);
  return server.url;
}

function runningServer(id: unknown): RunningServer {
  const running = typeof id === "string" ? servers.get(id) : undefined;
  if (running === undefined) throw new Error(`no sync server started with id ${String(id)}`);
  return running;
}

const syncServerStart: BrowserCommand<[]> = async () => {
  const dir = await mkdtemp(join(tmpdir(), "cosync-browser-"));
  const running: RunningServer = { dir, file: join(dir, "sync.db"), port: 0, server: undefined };
  const id = `server-${servers.size + 1}-${Date.now()}`;
  servers.set(id, running);
  return { id, url: await listen(running) };
};

const syncServerRestart: BrowserCommand<[id: string]> = async (_context, id) => {
  const running = runningServer(id);
  await running.server?.close();
  running.server = undefined;
  return listen(running);
};

const syncServerStop: BrowserCommand<[id: string]> = async (_context, id) => {
  const running = runningServer(id);
  servers.delete(id);
  await running.server?.close();
  await rm(running.dir, { recursive: true, force: true });
};

/** Stops the server but keeps its port and file, so `syncServerResume` brings the same one back. */
const syncServerPause: BrowserCommand<[id: string]> = async (_context, id) => {
  const running = runningServer(id);
  await running.server?.close();
  running.server = undefined;
};

const syncServerResume: BrowserCommand<[id: string]> = async (_context, id) => listen(runningServer(id));

export const syncServerCommands = { syncServerStart, syncServerRestart, syncServerStop, syncServerPause, syncServerResume };
