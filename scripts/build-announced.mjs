#!/usr/bin/env node
// `npm start`'s build step: `tsc -b`, saying what it is doing. A fresh checkout takes ~30 s to
// build, and a silent pause that long before the server starts reads as a hang.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

process.stderr.write("cosync: building (tsc -b; ~30 s on a fresh checkout, a few seconds once built)…\n");
const started = Date.now();
const build = spawnSync(process.execPath, [tsc, "-b"], { cwd: repoRoot, stdio: "inherit" });
if (build.status !== 0) {
  process.stderr.write(
    `cosync: the build failed (${build.error?.message ?? `tsc exited with ${build.status ?? build.signal}`}); the errors are above\n`,
  );
  process.exit(1);
}
process.stderr.write(`cosync: built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
