// Each doc below is one program split into ```js blocks: this runs them, so the pages can't rot.
// docs/getting-started.md runs three times against a real server (the second run must reopen the
// same accounts, the third after their local data is deleted); the others start what they need.
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
const programs: string[] = [];

/** Writes the program of `doc` inside the repo, so its bare imports resolve to the workspace packages (built dist). */
async function programOf(doc: string, minBlocks: number): Promise<string> {
  const runDir = join(repo, "tests/docs/.run");
  await mkdir(runDir, { recursive: true });
  const program = join(runDir, `${doc.replace(/\W/g, "-")}-${process.pid}.mjs`);
  const blocks = jsBlocks(await readFile(join(repo, doc), "utf8"));
  expect(blocks.length).toBeGreaterThanOrEqual(minBlocks);
  await writeFile(program, blocks.join("\n"));
  programs.push(program);
  return program;
}

beforeAll(async () => {
  server = await startSyncServer({ port: 0, inMemory: true, log: { level: "silent" } });
  dataDir = await mkdtemp(join(tmpdir(), "cosync-doc-programs-"));
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
  for (const program of programs) await rm(program, { force: true });
});

test("docs/getting-started.md runs as written, a second run reopens the same accounts, and a third reloads them from the server", async () => {
  const program = await programOf("docs/getting-started.md", 4);
  const once = () => run(process.execPath, [program], { cwd: dataDir, env: { ...process.env, COSYNC_URL: server.url }, timeout: 60_000 });
  const first = await once();
  expect(first.stdout).toMatch(/^Alice is co_z\w+$/m);
  expect(first.stdout).toContain("buy milk, bake bread");
  expect(first.stdout).toMatch(/Bob can no longer write: cannot write to co_z\w+: it needs writer.*you are (not a member|a revoked)/);
  const second = await once();
  const alice = (output: string) => output.match(/^Alice is (co_z\w+)$/m)?.[1];
  expect(alice(second.stdout)).toBe(alice(first.stdout));
  expect(second.stdout).toContain("buy milk, bake bread");
  // A device whose local data is gone (identity kept) loads its account back from the server.
  for (const device of ["alice", "bob"]) {
    for (const suffix of ["", "-wal", "-shm"]) await rm(join(dataDir, device, `data.db${suffix}`), { force: true });
  }
  const third = await once();
  expect(alice(third.stdout)).toBe(alice(first.stdout));
  expect(third.stdout).toContain("buy milk, bake bread");
}, 120_000);

test("docs/auth.md runs as written: an authenticated account stores, a token for another server is refused with the reason", async () => {
  const { stdout } = await run(process.execPath, [await programOf("docs/auth.md", 2)], { cwd: dataDir, timeout: 60_000 });
  expect(stdout).toContain("stored for an authenticated account");
  expect(stdout).toMatch(/auth=\*\*\* refused the connection with HTTP 401: invalid token: the token is for "wss:\/\/elsewhere\.example", not this server/);
  expect(stdout).not.toMatch(/cosync-auth\.ey/); // the token itself is never printed
}, 120_000);

test("docs/receipts.md runs as written: a receipt verifies under the pinned key and covers the write", async () => {
  const { stdout } = await run(process.execPath, [await programOf("docs/receipts.md", 1)], { cwd: dataDir, timeout: 60_000 });
  expect(stdout).toContain("receipt verifies: true; covers what Alice wrote: true");
  expect(stdout).toContain("small enough to keep beside the value");
}, 120_000);

test("README.md's 'In short' program runs as written: it logs the list and exits", async () => {
  const readme = await readFile(join(repo, "README.md"), "utf8");
  const block = readme.match(/In short:\n\n```ts\n([\s\S]*?)^```$/m)?.[1];
  if (block === undefined) throw new Error("README.md: no ```ts block after 'In short:'");
  expect(block).toContain('"ws://127.0.0.1:4200"');
  const program = join(repo, "tests/docs/.run", `readme-${process.pid}.mjs`);
  await writeFile(program, block.replace('"ws://127.0.0.1:4200"', JSON.stringify(server.url)));
  programs.push(program);
  const { stdout } = await run(process.execPath, [program], { cwd: dataDir, timeout: 60_000 });
  expect(stdout).toContain("[ { title: 'buy milk', done: false } ]");
}, 120_000);
