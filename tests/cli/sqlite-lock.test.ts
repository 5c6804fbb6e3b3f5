// Two `cosync serve` processes on one SQLite file: the second is refused, naming the first.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, expect, test } from "vitest";
import { build, listeningUrl, spawnCli } from "./serve-process.js";

beforeAll(() => build("packages/cli"), 300_000);

test("a second cosync serve on the same SQLite file exits 1 naming the process that serves it", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cosync-cli-lock-"));
  try {
    const db = join(dir, "sync.db");
    await using first = spawnCli(["serve", "--port", "0", "--db", db]);
    await listeningUrl(first);
    const second = spawnCli(["serve", "--port", "0", "--db", db]);
    expect((await second.exited).code).toBe(1);
    expect(second.stderr).toContain(`is already served by another cosync process (pid ${first.child.pid})`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
