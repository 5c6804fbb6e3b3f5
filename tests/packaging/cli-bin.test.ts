// The `cosync` bin must exist in a fresh clone: `npm ci` links bins before anything is built, so a
// bin pointing into dist/ is a dangling link until the first build ("npm error could not determine
// executable to run"). It points at a committed launcher instead; this checks that it does, and
// that the launcher answers.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, test } from "vitest";
import { repoRoot } from "../cli/serve-process.js";

const run = promisify(execFile);
const cliDir = join(repoRoot, "packages/cli");

async function cliPackage(): Promise<{ version: string; bin: Record<string, string> }> {
  return JSON.parse(await readFile(join(cliDir, "package.json"), "utf8"));
}

test("cli bin: package.json's cosync bin is a file committed to git, outside dist/", async () => {
  const target = (await cliPackage()).bin.cosync;
  expect(target).toBeDefined();
  const path = join("packages/cli", target as string);
  expect(path.startsWith("packages/cli/dist/")).toBe(false);
  const { stdout } = await run("git", ["ls-files", "--error-unmatch", path], { cwd: repoRoot });
  expect(stdout.trim()).toBe(path);
  // npm makes bins executable when it links them, but a committed mode keeps `./bin/cosync.js` working too.
  const { stdout: mode } = await run("git", ["ls-files", "--stage", path], { cwd: repoRoot });
  expect(mode.split(" ")[0]).toBe("100755");
});

test("cli bin: --version and -v print the version from packages/cli/package.json and exit 0", async () => {
  const { version } = await cliPackage();
  for (const flag of ["--version", "-v"]) {
    const { stdout, stderr } = await run(process.execPath, [join(cliDir, "bin/cosync.js"), flag], { cwd: repoRoot });
    expect({ flag, stdout, stderr }).toEqual({ flag, stdout: `${version}\n`, stderr: "" });
  }
});
