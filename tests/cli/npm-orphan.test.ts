// npm does not pass SIGTERM on to the scripts it runs: a server started through npm must not keep
// serving (and holding its port) once npm is gone.
import { beforeAll, expect, test, vi } from "vitest";
import { build, cliMain, listeningUrl, Spawned } from "./serve-process.js";

beforeAll(() => build("packages/cli"), 300_000);

// Stands in for npm: starts the server as a child with npm's environment and, on SIGTERM, exits
// without passing the signal on (as npm does).
const npmLike = `
const { spawn } = require("node:child_process");
spawn(process.execPath, [process.argv[1], "serve", "--port", "0", "--in-memory"], { stdio: "inherit", env: { ...process.env, npm_lifecycle_event: "start" } });
process.on("SIGTERM", () => process.exit(0));
`;

test("a server started through npm shuts down by itself when npm exits without passing SIGTERM on", async () => {
  await using npm = new Spawned(process.execPath, ["-e", npmLike, cliMain]);
  const url = await listeningUrl(npm);
  const health = `${url.replace(/^ws/, "http")}/health`;
  expect((await fetch(health)).status).toBe(200);
  npm.child.kill("SIGTERM");
  await npm.exited;
  // The orphaned server notices and stops: its port stops answering.
  await vi.waitFor(
    async () => {
      await expect(fetch(health)).rejects.toThrow();
    },
    { timeout: 15_000, interval: 200 },
  );
  expect(npm.stderr).toContain("npm, which started this server, has exited");
}, 60_000);
