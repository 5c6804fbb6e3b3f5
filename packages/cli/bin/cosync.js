#!/usr/bin/env node
// The `cosync` command. A committed, plain-JS launcher rather than dist/main.js itself: `npm ci`
// links a workspace's bin before anything is built, and a bin pointing at a file that does not
// exist yet fails with npm's unhelpful "could not determine executable to run". Installed from the
// registry, dist/ always exists and this only imports it. In a git checkout that has not been
// built yet, it builds first (saying so) instead of failing.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const mainFile = join(packageDir, "dist", "main.js");
const args = process.argv.slice(2);

// Handled here, not in main.ts, so it answers even when the build is missing or broken.
if (args.length === 1 && (args[0] === "--version" || args[0] === "-v")) {
  const { version } = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
  process.stdout.write(`${version}\n`);
  process.exit(0);
}

if (!existsSync(mainFile)) buildCheckoutOrExit();
await import(pathToFileURL(mainFile).href);

/** Builds the workspace this package sits in (`tsc -b` at its root), or explains and exits 1. */
function buildCheckoutOrExit() {
  const repoRoot = dirname(dirname(packageDir));
  const isCheckout = existsSync(join(packageDir, "src", "main.ts")) && existsSync(join(repoRoot, "tsconfig.json"));
  if (!isCheckout) {
    fail(`${relative(process.cwd(), mainFile) || mainFile} is missing: this @cosync/cli install is incomplete; reinstall it`);
  }
  let tsc;
  try {
    tsc = createRequire(join(repoRoot, "package.json")).resolve("typescript/bin/tsc");
  } catch {
    fail(`cosync is not built and TypeScript is not installed; run "npm ci && npm run build" in ${repoRoot}`);
  }
  process.stderr.write("cosync: building cosync (first run only, up to ~30 s)…\n");
  const started = Date.now();
  // tsc prints its errors on stdout; send them to stderr so the command's own output stays clean.
  const build = spawnSync(process.execPath, [tsc, "-b"], { cwd: repoRoot, stdio: ["ignore", 2, 2] });
  if (build.status !== 0 || !existsSync(mainFile)) {
    fail(`the build failed (errors above); fix them, or run "npm run build" in ${repoRoot} to see them again`);
  }
  process.stderr.write(`cosync: built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

function fail(message) {
  process.stderr.write(`cosync: ${message}\n`);
  process.exit(1);
}
