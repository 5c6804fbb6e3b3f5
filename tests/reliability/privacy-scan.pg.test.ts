// The privacy scan against a Postgres-backed server: every row of every table (bytea decoded) and
// the server's trace log hold no private plaintext and no secret; a trusting control value is found.
import { afterAll, beforeAll, expect, test } from "vitest";
import { createFreshDatabase, type FreshDatabase } from "../../packages/storage-postgres/src/test-fixtures/fresh-database.js";
import { build } from "../cli/serve-process.js";
import { freePort, startServer } from "./crash-loop.js";
import { postgresRows, realisticUse, scan, scanSecrets } from "./privacy-scan.js";

let db: FreshDatabase;

beforeAll(async () => {
  await build("packages/server");
  db = await createFreshDatabase();
}, 240_000);

afterAll(async () => {
  await db?.drop();
});

test("privacy scan (Postgres): tables and logs hold no private plaintext and no secret; the trusting control is found", async () => {
  const port = await freePort();
  const server = await startServer(port, db.url, "trace");
  let use: Awaited<ReturnType<typeof realisticUse>>;
  try {
    use = await realisticUse(`ws://127.0.0.1:${port}`, true);
    server.kill("SIGTERM");
    await server.exit();
  } finally {
    server.kill("SIGKILL");
  }
  const haystacks = await postgresRows(db.url);
  haystacks.set("server log (trace)", Buffer.from(server.stdout + server.stderr));
  const findings = [...scan(haystacks, use.needles), ...scanSecrets(haystacks, use.published)];
  console.info(`reliability: privacy scan (Postgres) searched ${[...haystacks.values()].reduce((n, b) => n + b.length, 0)} bytes in ${haystacks.size} places: ${findings.length} found`);
  expect(findings).toEqual([]);
  expect(scan(haystacks, [use.trusting]).map((finding) => finding.where)).toContain("table cosync_transactions");
});
