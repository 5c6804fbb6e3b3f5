// `cosync serve` as a child process: flags and environment, clean shutdown, restart on the same
// database, and SIGKILL mid-burst losing nothing that was acknowledged.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SessionId } from "@cosync/core";
import { afterEach, beforeAll, expect, test } from "vitest";
import { bridgeNode } from "../../packages/server/src/test-fixtures/raw-client.js";
import { createTestNode, plainHeader, testCrypto } from "../helpers/nodes.js";
import { build, listeningUrl, spawnCli } from "./serve-process.js";

beforeAll(() => build("packages/cli"), 300_000);

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cosync-cli-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

test("cli: invalid flags exit with code 2 and a message naming the flag", async () => {
  const cases: Array<[string[], Record<string, string>, string]> = [
    [["serve", "--port", "99999"], {}, '--port: expected an integer from 0 to 65535, got "99999"'],
    [["serve", "--port", "http"], {}, '--port: expected an integer from 0 to 65535, got "http"'],
    [["serve"], { COSYNC_PORT: "-1" }, 'COSYNC_PORT: expected an integer from 0 to 65535, got "-1"'],
    [["serve", "--log-format", "xml"], {}, '--log-format: expected json or pretty, got "xml"'],
    [["serve", "--max-frame-bytes", "lots"], {}, '--max-frame-bytes: expected a size in bytes like 1048576, 512KiB or 8MiB, got "lots"'],
    [["serve", "--db", "x.db", "--in-memory"], {}, "--db and --in-memory: choose one"],
    [["serve", "--db", ""], {}, "--db: expected a SQLite file path or a postgres:// URL, got an empty string"],
    [["serve", "--max-connections=-3"], {}, '--max-connections: expected an integer from 1 to 9007199254740991, got "-3"'],
    [["serve", "--quota-bytes", "Infinity"], {}, '--quota-bytes: expected a size in bytes like 1048576, 512KiB or 8MiB or "unlimited", got "Infinity"'],
    [["serve"], { COSYNC_BANS: "co_zA" }, "COSYNC_BANS: unknown environment variable (it is COSYNC_BAN now)"],
    [["serve", "--bogus"], {}, 'unknown option --bogus\nRun "cosync serve --help" for the options.\n'],
    [["serve"], { COSYNC_PORTT: "4300" }, 'COSYNC_PORTT: unknown environment variable (did you mean COSYNC_PORT?)\nRun "cosync serve --help" for the options.\n'],
    [["serve", "--port", "-5"], {}, '--port: expected an integer from 0 to 65535, got "-5"'],
    [["serve", "--port"], {}, "--port needs a value"],
  ];
  for (const [args, env, message] of cases) {
    const proc = spawnCli(args, { env });
    const exit = await proc.exit();
    expect({ args, env, exit, stderr: proc.stderr }).toMatchObject({ exit: { code: 2 }, stderr: expect.stringContaining(message) });
    expect(proc.stdout).toBe("");
  }
});

test("cli: --help prints the options and exits 0", async () => {
  const proc = spawnCli(["serve", "--help"]);
  expect(await proc.exit()).toEqual({ code: 0, signal: null });
  expect(proc.stdout).toContain("Usage: cosync serve [options]");
  expect(proc.stdout).toContain("--db <file|postgres://…>");
});

test("cli: a port in use is reported clearly with exit code 1", async () => {
  const dir = await tempDir();
  await using first = spawnCli(["serve", "--port", "0", "--in-memory"], { cwd: dir });
  const port = new URL(await listeningUrl(first)).port;
  const second = spawnCli(["serve", "--port", port, "--in-memory"], { cwd: dir });
  expect(await second.exit()).toEqual({ code: 1, signal: null });
  expect(second.stderr).toContain(`cosync: cannot start the server: port ${port} on 127.0.0.1 is already in use`);
});

test("cli: syncs, stops on SIGTERM with exit code 0, and serves the same data after a restart", async () => {
  const dir = await tempDir();
  const db = join(dir, "data", "nested", "s.db");
  const first = spawnCli(["serve", "--port", "0", "--db", db, "--log-format", "pretty"], { cwd: dir });
  const url = await listeningUrl(first);
  const alice = await createTestNode();
  const bridged = await bridgeNode(alice, url);
  const value = alice.createCoValue(plainHeader(await testCrypto()));
  for (let i = 0; i < 10; i++) value.writeTrusting([{ op: "set", key: `k${i}`, value: i }]);
  await value.waitForSync();
  first.kill("SIGTERM");
  expect(await first.exit()).toEqual({ code: 0, signal: null });
  expect((await bridged.raw.closed).code).toBe(4503);
  expect(first.stdout).toMatch(/INFO {2}sync server stopped/);
  expect(existsSync(db)).toBe(true);

  await using second = spawnCli(["serve"], { cwd: dir, env: { COSYNC_PORT: "0", COSYNC_DB: db, COSYNC_LOG_LEVEL: "warn" } });
  const bob = await createTestNode();
  await using _b = await bridgeNode(bob, await listeningUrl(second));
  const loaded = await bob.load(value.id);
  expect(loaded.status === "loaded" && loaded.value.knownState()).toEqual(value.knownState());
  second.kill("SIGINT");
  expect(await second.exit()).toEqual({ code: 0, signal: null });
});

test("cli: SIGKILL mid-burst loses nothing the server acknowledged", async () => {
  const dir = await tempDir();
  const db = join(dir, "s.db");
  const first = spawnCli(["serve", "--port", "0", "--db", db, "--log-level", "warn"], { cwd: dir });
  const url = await listeningUrl(first);
  const alice = await createTestNode();
  const bridged = await bridgeNode(alice, url);
  const value = alice.createCoValue(plainHeader(await testCrypto()));
  const session = alice.sessionFor(value.id) as SessionId;
  let maxAcked = 0;
  let acks = 0;
  bridged.raw.onEntry((entry) => {
    if (entry.action !== "known" || entry.id !== value.id) return;
    acks++;
    maxAcked = Math.max(maxAcked, (entry.sessions as Record<string, number>)[session] ?? 0);
    if (acks === 40) first.kill("SIGKILL");
  });
  let exited = false;
  void first.exited.then(() => {
    exited = true;
  });
  let written = 0;
  // Each write is sealed at once, so it leaves as its own content message; yielding lets frames and acks flow.
  while (!exited && written < 50_000) {
    value.writeTrusting([{ op: "set", key: `k${written}`, value: written }]);
    alice.sealLocalWrites();
    written++;
    if (written % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  expect(await first.exit()).toEqual({ code: null, signal: "SIGKILL" });
  await bridged.raw.closed;
  expect(acks).toBeGreaterThanOrEqual(40);
  expect(maxAcked).toBeGreaterThan(0);
  expect(written).toBeGreaterThan(maxAcked); // killed mid-burst: some writes were never acknowledged

  await using second = spawnCli(["serve", "--port", "0", "--db", db, "--log-level", "warn"], { cwd: dir });
  const bob = await createTestNode();
  await using _b = await bridgeNode(bob, await listeningUrl(second));
  const loaded = await bob.load(value.id);
  if (loaded.status !== "loaded") throw new Error("the value was lost");
  const stored = loaded.value.knownState().sessions[session] ?? 0;
  expect(stored).toBeGreaterThanOrEqual(maxAcked);
  expect(stored).toBeLessThanOrEqual(written);
  // What survived is exactly the prefix alice wrote.
  const mine = [...(alice.get(value.id)?.transactions() ?? [])].slice(0, stored).map((t) => t.tx);
  expect([...loaded.value.transactions()].map((t) => t.tx)).toEqual(mine);
});
