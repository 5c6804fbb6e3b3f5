// One server per SQLite file: a second is refused with the reason while the first runs; a lock
// left by a process that died is taken over.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { startSyncServer } from "./start-sync-server.js";

const quiet = { log: { level: "silent" }, processMetrics: false } as const;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cosync-lock-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("a second server on the same SQLite file is refused while the first runs, and starts once it stopped", async () => {
  const db = join(dir, "sync.db");
  const first = await startSyncServer({ ...quiet, port: 0, db });
  await expect(startSyncServer({ ...quiet, port: 0, db })).rejects.toThrow(/is already served by another cosync (process|server in this process) \(pid \d+\)/);
  await first.close();
  await using second = await startSyncServer({ ...quiet, port: 0, db });
  expect(second.url).toMatch(/^ws:/);
});

test("a lock left by a process that is gone is taken over", async () => {
  const db = join(dir, "sync.db");
  // A pid no process has (above Linux's pid_max limit).
  await writeFile(`${db}.server-lock`, "4194304999\n");
  await using server = await startSyncServer({ ...quiet, port: 0, db });
  expect(server.url).toMatch(/^ws:/);
});
