// After realistic use with private values, nothing the server keeps (storage files, logs at trace
// level) holds their plaintext or any secret; and the scan can fail: a value written "trusting"
// (in the clear, on purpose) is found.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { build } from "../cli/serve-process.js";
import { freePort, startServer } from "./crash-loop.js";
import { realisticUse, scan, scanSecrets, sqliteFiles, sqliteRows } from "./privacy-scan.js";

let dir: string;

beforeAll(async () => {
  await build("packages/server");
  dir = await mkdtemp(join(tmpdir(), "cosync-privacy-"));
}, 240_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the use against a SQLite-backed child server, stops it, and returns what it kept. */
async function useAndCollect(name: string, withTrusting: boolean) {
  const file = join(dir, `${name}.db`);
  const port = await freePort();
  const server = await startServer(port, file, "trace");
  try {
    const use = await realisticUse(`ws://127.0.0.1:${port}`, withTrusting);
    server.kill("SIGTERM");
    await server.exit();
    const haystacks = new Map([...(await sqliteFiles(file)), ...sqliteRows(file)]);
    haystacks.set("server log (trace)", Buffer.from(server.stdout + server.stderr));
    return { use, haystacks };
  } finally {
    server.kill("SIGKILL");
  }
}

test("privacy scan (SQLite): storage files and logs hold no private plaintext and no secret", async () => {
  const { use, haystacks } = await useAndCollect("private", false);
  expect(haystacks.get("server log (trace)")?.length, "the server logged").toBeGreaterThan(1000);
  const findings = [...scan(haystacks, [...use.needles, use.trusting]), ...scanSecrets(haystacks, use.published)];
  console.info(`reliability: privacy scan (SQLite) searched ${[...haystacks.values()].reduce((n, b) => n + b.length, 0)} bytes in ${haystacks.size} places for ${use.needles.length} private values and agent/invite secrets and for any key, sealer, signer or invite secret (${use.published.size} read keys published for everyone allowed): ${findings.length} found`);
  expect(findings).toEqual([]);
});

test("privacy scan (SQLite) control: a trusting value is found in storage, so the scan can fail", async () => {
  const { use, haystacks } = await useAndCollect("control", true);
  const findings = scan(haystacks, [use.trusting]);
  const where = findings.map((finding) => finding.where);
  expect(where, "found in the database file").toContain("control.db");
  expect(where, "found in the transactions table").toContain("table transactions");
  expect(scan(haystacks, use.needles)).toEqual([]);
  expect(scanSecrets(haystacks, use.published)).toEqual([]);
});
