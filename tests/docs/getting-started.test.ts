// docs/getting-started.md is one program split into ```js blocks: this runs it, twice, against a
// real server, so the page can't rot. The second run must reopen the same account.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startSyncServer } from "@cosync/server";
import { afterAll, beforeAll, expect, test } from "vitest";

const repo = join(dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);

/** The ```js blocks of a markdown file, in order. */
function jsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((match) => match[1] as string);
}

let server: Awaited<ReturnType<typeof startSyncServer>>;
let dataDir: string;
let program: string;

beforeAll(async () => {
  server = await startSyncServer({ port: 0, inMemory: true, log: { level: "silent" } });
  dataDir = await mkdtemp(join(tmpdir(), "cosync-getting-started-"));
  // Inside the repo, so its bare imports resolve to the workspace packages (built dist).
  const runDir = join(repo, "tests/docs/.run");
  await mkdir(runDir, { recursive: true });
  program = join(runDir, `getting-started-${process.pid}.mjs`);
  const blocks = jsBlocks(await readFile(join(repo, "docs/getting-started.md"), "utf8"));
  expect(blocks.length).toBeGreaterThanOrEqual(4);
  await writeFile(program, blocks.join("\n"));
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(program, { force: true });
});

test("the getting-started program runs as written, and a second run reopens the same accounts", async () => {
  const once = () => run(process.execPath, [program], { cwd: dataDir, env: { ...process.env, COSYNC_URL: server.url }, timeout: 60_000 });
  const first = await once();
  expect(first.stdout).toMatch(/^Alice is co_z\w+$/m);
  expect(first.stdout).toContain("buy milk, bake bread");
  expect(first.stdout).toMatch(/Bob can no longer write: cannot write to co_z\w+: it needs writer.*you are (not a member|a revoked)/);
  const second = await once();
  const alice = (output: string) => output.match(/^Alice is (co_z\w+)$/m)?.[1];
  expect(alice(second.stdout)).toBe(alice(first.stdout));
  expect(second.stdout).toContain("buy milk, bake bread");
}, 120_000);
