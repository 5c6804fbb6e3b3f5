// `cosync conformance`: the built bin against a real `cosync serve`, and its usage errors.
import { beforeAll, expect, test } from "vitest";
import { build, listeningUrl, spawnCli } from "./serve-process.js";

beforeAll(() => build("packages/cli"), 300_000);

test("cosync conformance passes against cosync serve and says so per case; a bad URL is a usage error", async () => {
  await using server = spawnCli(["serve", "--port", "0", "--in-memory"]);
  const url = await listeningUrl(server);
  const run = spawnCli(["conformance", url]);
  const exit = await run.exited;
  expect(run.stderr).toBe("");
  expect(exit.code).toBe(0);
  expect(run.stdout).toMatch(/^PASS load of an unknown value is answered/m);
  expect(run.stdout).toMatch(/^(\d+) passed, 0 failed/m);
  expect(Number(/^(\d+) passed/m.exec(run.stdout)?.[1])).toBeGreaterThanOrEqual(12);

  await using guarded = spawnCli(["serve", "--port", "0", "--in-memory", "--auth", "required"]);
  const refused = spawnCli(["conformance", await listeningUrl(guarded)]);
  expect((await refused.exited).code).toBe(1);
  expect(refused.stderr).toMatch(/HTTP 401: authentication required.*run it against a test instance without --auth/);

  const usage = spawnCli(["conformance", "http://example.com"]);
  expect((await usage.exited).code).toBe(2);
  expect(usage.stderr).toContain('expected the server\'s ws:// or wss:// URL, got "http://example.com"');
}, 120_000);
