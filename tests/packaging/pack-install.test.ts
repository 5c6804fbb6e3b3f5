// What a user outside this repository gets: every @cosync/* package packed as npm would publish it
// (prepack builds it), installed from the tarballs into a scratch project under the OS temp dir
// (so nothing resolves through this workspace's node_modules), then used there: a two-account sync
// through a real server, and the `cosync` bin through npx.
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";
import { listeningUrl, repoRoot, Spawned } from "../cli/serve-process.js";

const run = promisify(execFile);
// The lock serve-process.ts's build() takes: packing runs `tsc -b`, which must not write dist/
// files while another test file builds them.
const buildLock = join(tmpdir(), "cosync-tsc-build.lock");

/** One entry of `npm pack --json`. */
interface PackResult {
  readonly name: string;
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

let workDir: string;
let scratch: string;
let packed: readonly PackResult[];

/** The environment without the npm_* variables `npm test` sets, which would steer a nested npm. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_")));
}

async function npm(args: readonly string[], cwd: string, timeoutMs: number): Promise<string> {
  try {
    const { stdout } = await run("npm", args, { cwd, env: cleanEnv(), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(" ")} failed in ${cwd}:\n${stdout ?? ""}${stderr ?? ""}`, { cause: error });
  }
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "cosync-pack-"));
  const tarballs = join(workDir, "tarballs");
  scratch = join(workDir, "app");
  await mkdir(tarballs);
  await mkdir(join(scratch, "data"), { recursive: true });

  // The published packages only: the private workspaces under examples/ are apps, not packages.
  const published = (await readdir(join(repoRoot, "packages"))).flatMap((dir) => ["--workspace", `packages/${dir}`]);
  const { stdout } = await run("flock", [buildLock, "npm", "pack", ...published, "--json", "--pack-destination", tarballs], {
    cwd: repoRoot,
    env: cleanEnv(),
    timeout: 240_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  packed = JSON.parse(stdout);

  // allowScripts: npm 11 runs better-sqlite3's install script (its native build) only when allowed.
  const manifest = { name: "cosync-pack-install-check", private: true, type: "module", allowScripts: { "better-sqlite3": true } };
  await writeFile(join(scratch, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  const files = packed.map((result) => join(tarballs, result.filename));
  // ws: Node 20 has no global WebSocket, so Node clients pass this one to @cosync/transport-ws.
  await npm(["install", "--prefer-offline", "--no-audit", "--no-fund", ...files, "ws"], scratch, 300_000);
  await copyFile(join(repoRoot, "tests/packaging/two-accounts.mjs"), join(scratch, "two-accounts.mjs"));
}, 600_000);

afterAll(async () => {
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

test("packing: every workspace package packs, with a LICENSE, a README and every export's types and default file, and no tests", async () => {
  const workspaces = (await readdir(join(repoRoot, "packages"))).sort();
  expect(packed.map((result) => result.name).sort()).toEqual(workspaces.map((dir) => `@cosync/${dir}`));
  for (const result of packed) {
    const paths = new Set(result.files.map((file) => file.path));
    const manifest = JSON.parse(await readFile(join(repoRoot, "packages", result.name.slice("@cosync/".length), "package.json"), "utf8"));
    const targets: string[] = [];
    for (const conditions of Object.values(manifest.exports as Record<string, Record<string, string>>)) {
      targets.push(conditions.types as string, conditions.default as string);
    }
    const missing = ["LICENSE", "README.md", ...targets.map((target) => target.replace(/^\.\//, ""))].filter((path) => !paths.has(path));
    expect({ name: result.name, missing }).toEqual({ name: result.name, missing: [] });
    const tests = [...paths].filter((path) => /\.test\.ts$|test-fixtures\//.test(path));
    expect({ name: result.name, tests }).toEqual({ name: result.name, tests: [] });
    expect({ name: result.name, license: manifest.license, private: manifest.private }).toEqual({
      name: result.name,
      license: "MIT",
      private: undefined,
    });
  }
});

test("installed from tarballs: Alice adds Bob to a group, and Bob reads her private map through a cosync server on SQLite", async () => {
  const { stdout } = await run(process.execPath, ["two-accounts.mjs", join(scratch, "data")], { cwd: scratch, timeout: 60_000 });
  expect(stdout).toBe("bob read: hello from alice\n");
});

test("installed from tarballs: npx cosync --version prints @cosync/cli's version", async () => {
  const { version } = JSON.parse(await readFile(join(repoRoot, "packages/cli/package.json"), "utf8"));
  expect(await npm(["exec", "--no", "--", "cosync", "--version"], scratch, 60_000)).toBe(`${version}\n`);
});

test("installed from tarballs: npx cosync serve listens on SQLite and stops on SIGTERM", async () => {
  const db = join(scratch, "data", "cli.db");
  // A process group, signalled as a whole as a terminal would: npx and the server under it.
  await using server = new Spawned("npx", ["--no", "cosync", "serve", "--port", "0", "--db", db], {
    cwd: scratch,
    env: cleanEnv(),
    group: true,
  });
  const url = await listeningUrl(server, 60_000);
  expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
  const health = await fetch(`${url.replace("ws://", "http://")}/health`);
  expect(health.status).toBe(200);
  server.kill("SIGTERM");
  const exit = await server.exit();
  expect(exit.code === 0 || exit.signal === "SIGTERM").toBe(true);
  expect(server.stdout).toContain('"msg":"sync server stopped"');
  expect((await readdir(join(scratch, "data"))).includes("cli.db")).toBe(true);
});
