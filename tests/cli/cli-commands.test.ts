// `cosync` itself: its version, its commands, and what it says when given none or a wrong one.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, expect, test } from "vitest";
import { tempDir } from "./operator-fixtures.js";
import { build, repoRoot, spawnCli } from "./serve-process.js";

beforeAll(() => build("packages/cli"), 300_000);

test("cosync --version and -v print the version of packages/cli/package.json and exit 0", async () => {
  const { version } = JSON.parse(await readFile(join(repoRoot, "packages/cli/package.json"), "utf8")) as { version: string };
  for (const flag of ["--version", "-v"]) {
    await using proc = spawnCli([flag]);
    expect(await proc.exit()).toEqual({ code: 0, signal: null });
    expect(proc.stdout).toBe(`${version}\n`);
    expect(proc.stderr).toBe("");
  }
});

test("cosync with no command, or an unknown one, is a usage error listing the commands", async () => {
  const cases: Array<[string[], string]> = [
    [[], "cosync: missing command"],
    [["frobnicate"], 'cosync: unknown command "frobnicate"'],
    [["serv"], 'cosync: unknown command "serv" (did you mean serve?)'],
    [["--port", "5"], 'cosync: expected a command before the options, e.g. "cosync serve --port"'],
    [["--hlep"], "cosync: unknown option --hlep (did you mean --help?)\n"],
    [["--verison"], "cosync: unknown option --verison (did you mean --version?)\n"],
    [["hlep"], 'cosync: unknown command "hlep" (did you mean help?)'],
    [["help", "frobnicate"], 'cosync: unknown command "frobnicate"'],
    [["help", "serve", "export"], 'cosync: help takes one command, got "serve export"'],
  ];
  for (const [args, message] of cases) {
    await using proc = spawnCli(args);
    expect((await proc.exit()).code, args.join(" ")).toBe(2);
    expect(proc.stderr, args.join(" ")).toContain(message);
    expect(proc.stderr, args.join(" ")).toMatch(/Commands:\n {2}serve +runs the sync server/);
    expect(proc.stdout).toBe("");
  }
});

test("cosync --help lists the commands and exits 0; cosync serve --help shows serve's options", async () => {
  await using top = spawnCli(["--help"]);
  expect(await top.exit()).toEqual({ code: 0, signal: null });
  expect(top.stdout).toContain("Usage: cosync <command> [options]");
  expect(top.stdout).toMatch(/ {2}serve +runs the sync server/);
  expect(top.stdout).toContain("-v, --version");
  await using serve = spawnCli(["serve", "-h"]);
  expect(await serve.exit()).toEqual({ code: 0, signal: null });
  expect(serve.stdout).toContain("Usage: cosync serve [options]");
});

test("cosync serve with a misspelt flag prints one clean line, the closest flag, and where the options are", async () => {
  await using proc = spawnCli(["serve", "--prot", "5"]);
  expect((await proc.exit()).code).toBe(2);
  expect(proc.stderr).toBe('cosync: unknown option --prot (did you mean --port?)\nRun "cosync serve --help" for the options.\n');
});

test("cosync help <command> prints that command's help and exits 0; cosync help is cosync --help", async () => {
  const cases: Array<[string, string]> = [
    ["serve", "Usage: cosync serve [options]\n"],
    ["export", "Usage: cosync export --db <store> --out <file> [options]\n"],
  ];
  for (const [command, usage] of cases) {
    await using proc = spawnCli(["help", command]);
    expect(await proc.exit()).toEqual({ code: 0, signal: null });
    expect(proc.stdout.startsWith(usage), proc.stdout).toBe(true);
    expect(proc.stderr).toBe("");
  }
  await using top = spawnCli(["help"]);
  expect(await top.exit()).toEqual({ code: 0, signal: null });
  expect(top.stdout).toContain("Usage: cosync <command> [options]");
  expect(top.stdout).toContain('"cosync help <command>"');
});

test("an unknown short option gets the long flag it likely meant, and the help pointer once", async () => {
  await using proc = spawnCli(["serve", "-p", "4300"]);
  expect((await proc.exit()).code).toBe(2);
  expect(proc.stderr).toBe('cosync: unknown option -p (did you mean --port?)\nRun "cosync serve --help" for the options.\n');
  await using bogus = spawnCli(["stats", "--bogus"]);
  expect((await bogus.exit()).code).toBe(2);
  expect(bogus.stderr).toBe('cosync: unknown option --bogus\nRun "cosync stats --help" for the options.\n');
});

test("an unknown COSYNC_* variable is warned about, with the closest known one; serve refuses it", async () => {
  await using dir = await tempDir();
  const missing = join(dir.path, "missing.db");
  await using stats = spawnCli(["stats", "--db", missing], { env: { COSYNC_DBB: "x.db", COSYNC_ZZZZZZZZ: "1" } });
  expect((await stats.exit()).code).toBe(1);
  expect(stats.stderr).toContain("cosync: warning: COSYNC_DBB: unknown environment variable, ignored (did you mean COSYNC_DB?)\n");
  expect(stats.stderr).toContain("cosync: warning: COSYNC_ZZZZZZZZ: unknown environment variable, ignored\n");
  // The command still runs.
  expect(stats.stderr).toContain(`no SQLite database at ${missing}`);

  await using serve = spawnCli(["serve", "--in-memory"], { env: { COSYNC_PORTT: "4300" } });
  expect((await serve.exit()).code).toBe(2);
  expect(serve.stderr).toBe('cosync: COSYNC_PORTT: unknown environment variable (did you mean COSYNC_PORT?)\nRun "cosync serve --help" for the options.\n');
});
