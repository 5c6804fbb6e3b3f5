// `cosync backup` through the built bin: a SQLite backup taken while a client keeps writing
// through a running server is a consistent store that `cosync serve` accepts — it serves the
// prefix it holds, and the writer, reconnecting to it, completes the rest. Postgres: pg_dump's
// custom-format backup restores (pg_restore) into a store the server serves.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { SessionId } from "@cosync/core";
import { beforeAll, expect, test } from "vitest";
import { bridgeNode } from "../../packages/server/src/test-fixtures/raw-client.js";
import { createFreshDatabase } from "../../packages/storage-postgres/src/test-fixtures/fresh-database.js";
import { until } from "../helpers/cojson-sync-server.js";
import { createTestNode, plainHeader, testCrypto } from "../helpers/nodes.js";
import { sqliteWith, tempDir, writeSignedData } from "./operator-fixtures.js";
import { build, listeningUrl, spawnCli } from "./serve-process.js";

beforeAll(() => build("packages/cli"), 300_000);

test("backup: a SQLite copy taken under a write load restores to a store the server accepts", async () => {
  await using dir = await tempDir();
  const db = join(dir.path, "live.db");
  const backup = join(dir.path, "backup.db");
  await using server = spawnCli(["serve", "--port", "0", "--db", db, "--log-level", "warn"]);
  const alice = await createTestNode();
  const bridged = await bridgeNode(alice, await listeningUrl(server));
  const value = alice.createCoValue(plainHeader(await testCrypto()));
  const session = alice.sessionFor(value.id) as SessionId;
  let acked = 0;
  let firstAcks: () => void = () => {};
  const someAcked = new Promise<void>((resolve) => {
    firstAcks = resolve;
  });
  bridged.raw.onEntry((entry) => {
    if (entry.action !== "known" || entry.id !== value.id) return;
    acked = Math.max(acked, (entry.sessions as Record<string, number>)[session] ?? 0);
    if (acked >= 200) firstAcks();
  });
  let written = 0;
  let writing = true;
  const load = (async () => {
    while (writing) {
      value.writeTrusting([{ op: "set", key: `k${written % 100}`, value: written }]);
      alice.sealLocalWrites();
      written++;
      if (written % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  await someAcked;
  const ackedBefore = acked;
  expect(ackedBefore).toBeGreaterThan(0);

  const backupRun = spawnCli(["backup", "--db", db, "--out", backup]);
  expect(await backupRun.exit(60_000), backupRun.stderr).toEqual({ code: 0, signal: null });
  expect(backupRun.stdout).toMatch(/^backed up SQLite .* integrity ok/);
  const writtenDuringBackup = written;
  writing = false;
  await load;
  await value.waitForSync();
  await bridged.close();
  expect(writtenDuringBackup).toBeGreaterThan(ackedBefore); // the load really ran while the copy was taken

  await using restored = spawnCli(["serve", "--port", "0", "--db", backup, "--log-level", "warn"]);
  const restoredUrl = await listeningUrl(restored);
  const bob = await createTestNode();
  {
    await using _bob = await bridgeNode(bob, restoredUrl);
    const loaded = await bob.load(value.id);
    if (loaded.status !== "loaded") throw new Error("the backup lacks the value");
    // A big value arrives in several messages: wait for the last one.
    await until((listener) => loaded.value.subscribe(listener), () => !loaded.value.isStreaming(), "the whole value from the restored server");
    const held = loaded.value.knownState().sessions[session] ?? 0;
    expect(held).toBeGreaterThanOrEqual(ackedBefore);
    expect(held).toBeLessThanOrEqual(written);
    const mine = [...(alice.get(value.id)?.transactions() ?? [])].slice(0, held).map((t) => t.tx);
    expect([...loaded.value.transactions()].map((t) => t.tx)).toEqual(mine);
  }
  // The writer reconnects to the restored store and completes what the backup missed.
  await using _again = await bridgeNode(alice, restoredUrl);
  value.writeTrusting([{ op: "set", key: "after-restore", value: true }]);
  written++;
  await value.waitForSync({ timeoutMs: 30_000 });
  const carol = await createTestNode();
  await using _carol = await bridgeNode(carol, restoredUrl);
  const reloaded = await carol.load(value.id);
  if (reloaded.status !== "loaded") throw new Error("the restored server lost the value");
  await until((listener) => reloaded.value.subscribe(listener), () => reloaded.value.knownState().sessions[session] === written, `all ${written} writes`);
}, 120_000);

const hasPgDump = (() => {
  try {
    execFileSync("pg_dump", ["--version"]);
    execFileSync("pg_restore", ["--version"]);
    return true;
  } catch {
    return false;
  }
})();

test.skipIf(!hasPgDump)("backup: Postgres through pg_dump restores with pg_restore into a store the server serves", async () => {
  await using dir = await tempDir();
  const data = await writeSignedData({ maps: 5, writesPerMap: 20, secret: "pg-backup", everyoneReads: true });
  const sqlite = join(dir.path, "s.db");
  await sqliteWith(data, sqlite);
  await using source = await createFreshDatabase();
  expect((await spawnCli(["migrate", "--from", sqlite, "--to", source.url]).exit(60_000)).code).toBe(0);
  const file = join(dir.path, "pg.dump");
  const backup = spawnCli(["backup", "--db", source.url, "--out", file, "--json"]);
  expect(await backup.exit(60_000), backup.stderr).toEqual({ code: 0, signal: null });
  expect(JSON.parse(backup.stdout)).toMatchObject({ file, source: expect.stringContaining("PostgreSQL") });

  await using restoredDb = await createFreshDatabase();
  execFileSync("pg_restore", ["--no-owner", "--dbname", restoredDb.url, file]);
  const stats = spawnCli(["stats", "--db", restoredDb.url, "--json"]);
  expect((await stats.exit(60_000)).code).toBe(0);
  expect(JSON.parse(stats.stdout)).toMatchObject({ values: 4 + data.mapIds.length, transactions: expect.any(Number) });
  await using server = spawnCli(["serve", "--port", "0", "--db", restoredDb.url, "--log-level", "warn"]);
  const bob = await createTestNode();
  await using _bob = await bridgeNode(bob, await listeningUrl(server));
  const loaded = await bob.load(data.mapIds[3] as never);
  expect(loaded.status).toBe("loaded");
}, 120_000);

test.runIf(!hasPgDump)("backup: Postgres without pg_dump prints the guidance and exits 1", async () => {
  await using db = await createFreshDatabase();
  const backup = spawnCli(["backup", "--db", db.url, "--out", "/tmp/never-written.dump"]);
  expect((await backup.exit()).code).toBe(1);
  expect(backup.stderr).toContain("pg_dump is not installed here");
});
