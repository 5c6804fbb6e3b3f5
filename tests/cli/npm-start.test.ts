// The README's promise: `npm ci && npm start` serves on 127.0.0.1:4200 with SQLite in ./sync-db.
// Both tests need port 4200 free and fail with a clear message when it is not.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, expect, test } from "vitest";
import { bridgeNode, RawClient } from "../../packages/server/src/test-fixtures/raw-client.js";
import { createTestNode, plainHeader, testCrypto } from "../helpers/nodes.js";
import { assertPortFree, build, listeningUrl, repoRoot, Spawned, spawnCli } from "./serve-process.js";

// `npm start` runs `tsc -b` first; building here, under the shared lock, makes that a no-op
// instead of a second build racing another test file's.
beforeAll(() => build("."), 300_000);

test("npm start: serves on ws://127.0.0.1:4200 with SQLite in the repo's ./sync-db, and stops gracefully on SIGTERM", async () => {
  await assertPortFree(4200);
  // A process group, signalled as a whole, as a terminal does: npm, its shell and the server.
  await using npm = new Spawned("npm", ["start"], { cwd: repoRoot, group: true, env: { COSYNC_LOG_LEVEL: "info" } });
  expect(await listeningUrl(npm, 120_000)).toBe("ws://127.0.0.1:4200");
  // Connect and ask for something: the developer's data is left alone.
  await using client = await RawClient.connect("ws://127.0.0.1:4200");
  const missing = (await createTestNode()).createCoValue(plainHeader(await testCrypto())).id;
  client.send({ action: "load", id: missing, header: false, sessions: {} });
  expect(await client.waitFor((entry) => entry.action === "known")).toEqual({ action: "known", id: missing, header: false, sessions: {} });

  npm.kill("SIGTERM");
  const exit = await npm.exit();
  // npm re-raises the signal its script got once the script ended, so npm itself reports SIGTERM;
  // the server's own clean exit shows in its last log line (the next test checks its exit code).
  expect(exit.code === 0 || exit.signal === "SIGTERM").toBe(true);
  expect(npm.stdout).toContain('"msg":"sync server stopped"');
  expect((await client.closed).code).toBe(4503);
  expect(existsSync(join(repoRoot, "sync-db", "storage.db"))).toBe(true);
});

test("npm start's command (cosync serve, default arguments) keeps its SQLite file in ./sync-db of its working directory and exits 0 on SIGTERM", async () => {
  await assertPortFree(4200);
  const cwd = await mkdtemp(join(tmpdir(), "cosync-npm-start-"));
  try {
    await using server = spawnCli(["serve"], { cwd });
    expect(await listeningUrl(server)).toBe("ws://127.0.0.1:4200");
    const alice = await createTestNode();
    await using _alice = await bridgeNode(alice, "ws://127.0.0.1:4200");
    const value = alice.createCoValue(plainHeader(await testCrypto()));
    value.writeTrusting(["hello"]);
    await value.waitForSync();
    server.kill("SIGTERM");
    expect(await server.exit()).toEqual({ code: 0, signal: null });
    expect(existsSync(join(cwd, "sync-db", "storage.db"))).toBe(true);
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
});
