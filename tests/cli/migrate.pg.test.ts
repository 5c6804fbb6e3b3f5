// `cosync migrate` through the built bin: 100k signed transactions SQLite → Postgres with progress,
// then `cosync serve` on the target serves them to a real cojson 0.20.19 client; a migrate stopped
// by Ctrl-C, and one killed outright, resume and finish with verified counts.
import { join } from "node:path";
import { openSqliteStorage } from "@cosync/storage-sqlite";
import type { RawCoMap } from "cojson";
import { beforeAll, expect, test } from "vitest";
import { createFreshDatabase } from "../../packages/storage-postgres/src/test-fixtures/fresh-database.js";
import { connectNewCojsonAccount, loadCojson } from "../helpers/cojson-sync-server.js";
import { sqliteWith, tempDir, waitForStderrLine, writeSignedData } from "./operator-fixtures.js";
import { build, listeningUrl, spawnCli } from "./serve-process.js";

beforeAll(() => build("packages/cli"), 300_000);

test("migrate: 100k transactions SQLite → Postgres with progress, verified counts, then served to a cojson client", async () => {
  await using dir = await tempDir();
  const data = await writeSignedData({ maps: 100, writesPerMap: 1_000, secret: "migrated", everyoneReads: true });
  const source = join(dir.path, "source.db");
  await sqliteWith(data, source);
  await using pgDb = await createFreshDatabase();

  const migrate = spawnCli(["migrate", "--from", source, "--to", pgDb.url]);
  expect(await migrate.exit(120_000), migrate.stderr).toEqual({ code: 0, signal: null });
  // Off a terminal, progress is plain lines on stderr, ending with the total.
  expect(migrate.stderr).toMatch(/^migrate: 0\/\d+ tx \(0%\)/m);
  const total = /^migrate: (\d+)\/\1 tx \(100%\), \d+ tx\/s, [\d.]+ s in all$/m.exec(migrate.stderr)?.[1];
  expect(Number(total)).toBeGreaterThanOrEqual(100_000);
  expect(migrate.stdout).toMatch(/^migrated 104 values \(0 were already there\), 104 sessions, \d+ transactions .* counts verified/);

  await using server = spawnCli(["serve", "--port", "0", "--db", pgDb.url]);
  const client = await connectNewCojsonAccount(await listeningUrl(server), "reader");
  try {
    for (const index of [0, 57, 99]) {
      const map = await loadCojson<RawCoMap>(client.node, data.mapIds[index] as string);
      // Every key was last written in the map's last 50 writes.
      expect(map.get("key49")).toBe(`migrated ${index} 999`);
      expect(map.get("key0")).toBe(`migrated ${index} 950`);
    }
  } finally {
    await client.close();
  }
}, 180_000);

test("migrate: stopped by Ctrl-C or killed, it resumes where it was and finishes with verified counts", async () => {
  await using dir = await tempDir();
  // Many small values: each is a step between which a stop is honoured.
  const data = await writeSignedData({ maps: 3_000, writesPerMap: 3 });
  const source = join(dir.path, "source.db");
  await sqliteWith(data, source);
  await using pgDb = await createFreshDatabase();
  const args = ["migrate", "--from", source, "--to", pgDb.url];

  const interrupted = spawnCli(args);
  await waitForStderrLine(interrupted, (line) => line.startsWith("migrate: 0/"));
  interrupted.kill("SIGINT");
  const stopped = await interrupted.exit(60_000);
  expect(stopped, interrupted.stderr).toEqual({ code: 130, signal: null });
  expect(interrupted.stderr).toContain("stopped by SIGINT; run the same migrate again to resume");

  const killed = spawnCli(args);
  await waitForStderrLine(killed, (line) => line.startsWith("migrate: 0/"));
  killed.kill("SIGKILL");
  await killed.exit();

  const resumed = spawnCli([...args, "--json"]);
  expect(await resumed.exit(120_000), resumed.stderr).toEqual({ code: 0, signal: null });
  expect(resumed.stderr).toBe("");
  const result = JSON.parse(resumed.stdout) as { covalues: number; alreadyThere: number; verified: boolean };
  expect(result.covalues).toBe(3_004);
  // The interrupted run finished at least the value in hand; those are skipped now.
  expect(result.alreadyThere).toBeGreaterThanOrEqual(1);
  expect(result.alreadyThere).toBeLessThan(3_004);
  expect(result.verified).toBe(true);

  // And the other way: Postgres → a SQLite file, same known states.
  const back = join(dir.path, "back.db");
  const reverse = spawnCli(["migrate", "--from", pgDb.url, "--to", back, "--json"]);
  expect(await reverse.exit(120_000), reverse.stderr).toEqual({ code: 0, signal: null });
  await using original = await openSqliteStorage({ file: source });
  await using copy = await openSqliteStorage({ file: back });
  for (const id of data.mapIds.slice(0, 50)) expect(await copy.knownState(id)).toEqual(await original.knownState(id));
}, 240_000);
