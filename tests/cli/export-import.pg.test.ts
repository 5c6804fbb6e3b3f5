// `cosync export` / `cosync import` through the built bin: a dump of real signed data loads into
// fresh SQLite and Postgres stores with identical known states, every signature verified;
// importing twice changes nothing and says so (new vs already present); a flipped byte, or a re-hashed dump with an altered
// transaction, is refused naming what failed, and nothing is written.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type CoId, createAccountNode, createMemoryStorage, createMemoryStore, type KnownState, type StorageAdapter, type StoredPiece } from "@cosync/core";
import { openPostgresStorage } from "@cosync/storage-postgres";
import { openSqliteStorage } from "@cosync/storage-sqlite";
import { beforeAll, expect, test } from "vitest";
import { createFreshDatabase } from "../../packages/storage-postgres/src/test-fixtures/fresh-database.js";
import { testCrypto } from "../helpers/nodes.js";
import { sqliteWith, tempDir, waitForStderrLine, writeSignedData } from "./operator-fixtures.js";
import { build, spawnCli } from "./serve-process.js";

beforeAll(() => build("packages/cli"), 300_000);

async function knownStates(storage: StorageAdapter): Promise<Map<CoId, KnownState | undefined>> {
  const states = new Map<CoId, KnownState | undefined>();
  for (const id of (await storage.listIds?.(undefined, 1_000_000)) ?? []) states.set(id, await storage.knownState(id));
  return states;
}

async function run(args: string[]) {
  const proc = spawnCli(args);
  const exit = await proc.exit(120_000);
  return { code: exit.code, stdout: proc.stdout, stderr: proc.stderr };
}

test("export → import: a fresh SQLite and a fresh Postgres store get identical known states; a second import changes nothing and reports it", async () => {
  await using dir = await tempDir();
  const data = await writeSignedData({ maps: 20, writesPerMap: 60, secret: "s3cret" });
  const source = join(dir.path, "source.db");
  await sqliteWith(data, source);
  const dump = join(dir.path, "dump.cosync");

  const exported = await run(["export", "--db", source, "--out", dump, "--json"]);
  expect(exported, exported.stderr).toMatchObject({ code: 0, stderr: "" });
  const summary = JSON.parse(exported.stdout) as { covalues: number; transactions: number };
  // The account, its profile group and profile, our group and its maps.
  expect(summary.covalues).toBe(4 + data.mapIds.length);
  expect(summary.transactions).toBeGreaterThan(data.transactions);

  await using pgDb = await createFreshDatabase();
  const targets = [join(dir.path, "imported.db"), pgDb.url];
  for (const target of targets) {
    const first = await run(["import", dump, "--db", target]);
    expect(first, first.stderr).toMatchObject({ code: 0 });
    expect(first.stdout).toMatch(/^imported \d+ values, \d+ sessions, \d+ transactions into .* every signature verified/);
    expect(first.stdout).toContain(`(${summary.transactions} new transactions, 0 already present)`);
    const again = await run(["import", dump, "--db", target, "--json"]);
    expect(again, again.stderr).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(again.stdout)).toMatchObject({
      verified: true,
      written: true,
      covalues: summary.covalues,
      transactions: summary.transactions,
      newTransactions: 0,
      alreadyPresentTransactions: summary.transactions,
    });
    const againText = await run(["import", dump, "--db", target]);
    expect(againText.stdout).toContain(`(0 new transactions, ${summary.transactions} already present)`);
  }

  await using sourceStore = await openSqliteStorage({ file: source });
  const expected = await knownStates(sourceStore);
  expect(expected.size).toBe(summary.covalues);
  {
    await using imported = await openSqliteStorage({ file: targets[0] as string });
    expect(await knownStates(imported)).toEqual(expected);
  }
  {
    await using imported = await openPostgresStorage({ url: pgDb.url });
    expect(await knownStates(imported)).toEqual(expected);
  }
}, 180_000);

test("import into a store holding part of the dump counts only the rest as new", async () => {
  await using dir = await tempDir();
  // One map with big writes, so its session is stored in several pieces, each ending at a signature.
  const store = createMemoryStore();
  const node = createAccountNode({ crypto: await testCrypto(), storage: createMemoryStorage({ store }), name: "Partial", gc: false });
  const map = node.createGroup().createMap();
  for (let i = 0; i < 6; i++) {
    map.set(`key${i}`, `${i}`.repeat(40_000), "trusting");
    // One append per write (writes of one turn are stored together): checkpoints fall between them.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await node.close();
  const source = join(dir.path, "source.db");
  await sqliteWith({ store }, source);
  const dump = join(dir.path, "dump.cosync");
  const exported = await run(["export", "--db", source, "--out", dump, "--json"]);
  expect(exported, exported.stderr).toMatchObject({ code: 0 });
  const total = (JSON.parse(exported.stdout) as { transactions: number }).transactions;

  // The target already holds the map's first piece: its header and a signed prefix of its session.
  const target = join(dir.path, "target.db");
  let present = 0;
  {
    await using storage = await openSqliteStorage({ file: target });
    const pieces = createMemoryStorage({ store }).load(map.id)[Symbol.asyncIterator]();
    const first = (await pieces.next()).value as StoredPiece;
    for (const session of Object.values(first.sessions)) present += session.transactions.length;
    expect((await pieces.next()).done, "the map must span more than one piece").toBe(false);
    expect(await storage.append(first)).toMatchObject({ type: "Stored" });
  }
  expect(present).toBeGreaterThan(0);

  const imported = await run(["import", dump, "--db", target, "--json"]);
  expect(imported, imported.stderr).toMatchObject({ code: 0, stderr: "" });
  expect(JSON.parse(imported.stdout)).toMatchObject({ transactions: total, newTransactions: total - present, alreadyPresentTransactions: present });
  const again = await run(["import", dump, "--db", target]);
  expect(again.stdout).toContain(`(0 new transactions, ${total} already present)`);
}, 120_000);

test("import: a flipped byte is refused by the manifest's hash, and nothing is written", async () => {
  await using dir = await tempDir();
  const data = await writeSignedData({ maps: 3, writesPerMap: 20, privacy: "trusting" });
  const source = join(dir.path, "source.db");
  await sqliteWith(data, source);
  const dump = join(dir.path, "dump.cosync");
  expect((await run(["export", "--db", source, "--out", dump])).code).toBe(0);

  const text = await readFile(dump, "utf8");
  // Flip one character inside a transaction's content (value "value 1 7" → "value 1 8").
  const at = text.indexOf("value 1 7");
  expect(at).toBeGreaterThan(0);
  const flipped = `${text.slice(0, at + 8)}8${text.slice(at + 9)}`;
  await writeFile(dump, flipped);
  const target = join(dir.path, "target.db");
  const refused = await run(["import", dump, "--db", target]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain("SHA-256 mismatch");
  {
    await using store = await openSqliteStorage({ file: target });
    expect(await store.listIds?.(undefined, 10)).toEqual([]);
  }

  // Whoever alters a transaction and recomputes the manifest's hash still fails the signatures.
  const lines = flipped.trimEnd().split("\n");
  const manifest = JSON.parse(lines.pop() as string) as Record<string, unknown>;
  const body = `${lines.join("\n")}\n`;
  manifest.sha256 = createHash("sha256").update(body).digest("hex");
  await writeFile(dump, `${body}${JSON.stringify(manifest)}\n`);
  const tampered = await run(["import", dump, "--db", target]);
  expect(tampered.code).toBe(1);
  expect(tampered.stderr).toMatch(/cosync import: co_z\w+ session \S+: the signature after transaction \d+ does not match the transactions/);
  const checked = await run(["import", dump, "--check"]);
  expect(checked.code).toBe(1);
  expect(checked.stderr).toContain("does not match the transactions");
  {
    await using store = await openSqliteStorage({ file: target });
    const stored = (await store.listIds?.(undefined, 100)) ?? [];
    // Values verified before the altered one may be stored; the altered one is not.
    const alteredMap = data.mapIds[1] as CoId;
    expect(stored).not.toContain(alteredMap);
  }
}, 120_000);

test("export refuses an existing --out file, naming it, unless --force", async () => {
  await using dir = await tempDir();
  const data = await writeSignedData({ maps: 2, writesPerMap: 5 });
  const source = join(dir.path, "source.db");
  await sqliteWith(data, source);
  const dump = join(dir.path, "dump.cosync");
  await writeFile(dump, "precious\n");

  const refused = await run(["export", "--db", source, "--out", dump]);
  expect(refused).toMatchObject({ code: 1, stdout: "" });
  expect(refused.stderr).toBe(`cosync export: ${dump} exists; choose a new file, or add --force to replace it\n`);
  expect(await readFile(dump, "utf8")).toBe("precious\n");
  expect(existsSync(`${dump}.partial`)).toBe(false);

  const forced = await run(["export", "--db", source, "--out", dump, "--force"]);
  expect(forced, forced.stderr).toMatchObject({ code: 0 });
  expect(await readFile(dump, "utf8")).toMatch(/^\{"kind":"cosync-dump"/);
  expect((await run(["export", "--help"])).stdout).toContain("--force");
}, 120_000);

test("export: Ctrl-C stops it with exit code 130 and leaves neither the dump nor its partial file", async () => {
  await using dir = await tempDir();
  // Many small values: each is a step between which a stop is honoured.
  const data = await writeSignedData({ maps: 3_000, writesPerMap: 2 });
  const source = join(dir.path, "source.db");
  await sqliteWith(data, source);
  const dump = join(dir.path, "dump.cosync");
  const exporting = spawnCli(["export", "--db", source, "--out", dump]);
  await waitForStderrLine(exporting, (line) => line.startsWith("export: 0/"));
  exporting.kill("SIGINT");
  expect(await exporting.exit(60_000), exporting.stderr).toEqual({ code: 130, signal: null });
  expect(exporting.stderr).toContain("stopped by SIGINT; the partial dump was removed");
  expect(existsSync(dump)).toBe(false);
  expect(existsSync(`${dump}.partial`)).toBe(false);
}, 120_000);
