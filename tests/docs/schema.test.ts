// docs/schema.md is one program split into ```js blocks: this runs it against a real server, so
// the page can't rot.
import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startSyncServer } from "@cosync/server";
import { afterAll, beforeAll, expect, test } from "vitest";

const repo = join(dirname(fileURLToPath(import.meta.url)), "../..");
const run = promisify(execFile);

let server: Awaited<ReturnType<typeof startSyncServer>>;
let program: string;

beforeAll(async () => {
  server = await startSyncServer({ port: 0, inMemory: true, log: { level: "silent" } });
  const runDir = join(repo, "tests/docs/.run");
  await mkdir(runDir, { recursive: true });
  program = join(runDir, `schema-${process.pid}.mjs`);
  const markdown = await readFile(join(repo, "docs/schema.md"), "utf8");
  const blocks = [...markdown.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((match) => match[1] as string);
  expect(blocks.length).toBeGreaterThanOrEqual(6);
  // Imports may appear in any block; hoist them so the program is valid ES.
  const lines = blocks.join("\n").split("\n");
  const imports = lines.filter((line) => line.startsWith("import "));
  await writeFile(program, [...imports, ...lines.filter((line) => !line.startsWith("import "))].join("\n"));
});

afterAll(async () => {
  await server?.close();
  await rm(program, { force: true });
});

test("the schema guide runs as written", async () => {
  const { stdout } = await run(process.execPath, [program], { env: { ...process.env, COSYNC_URL: server.url }, timeout: 60_000 });
  expect(stdout).toContain("buy milk (Ada): done; bake bread (Bo): open");
  expect(stdout).toContain('done: expected boolean, got string "yes"');
  expect(stdout).toContain("assignee.name: expected string, got number 42");
  expect(stdout).toContain("Bob sees: Ada, Bo");
  expect(stdout).toContain("Alice hears: Ada, Bob");
  expect(stdout).toContain("Bob may not read the surprise");
  expect(stdout).toContain("Carol has 0 todos");
}, 90_000);
