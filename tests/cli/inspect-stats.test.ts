// `cosync inspect` and `cosync stats` through the built bin, on real signed data in a SQLite file:
// structure, authors, owner chain and access are shown; the plaintext of private values never is.
import { join } from "node:path";
import { type AgentId, createAccountNode, createMemoryStorage, createMemoryStore } from "@cosync/core";
import { randomCoId } from "@cosync/testing";
import { beforeAll, expect, test } from "vitest";
import { testCrypto } from "../helpers/nodes.js";
import { bridgeNode } from "../../packages/server/src/test-fixtures/raw-client.js";
import { startSyncServer } from "../../packages/server/src/start-sync-server.js";
import { sqliteWith, tempDir } from "./operator-fixtures.js";
import { build, listeningUrl, spawnCli } from "./serve-process.js";

beforeAll(() => build("packages/cli"), 300_000);

const PLAINTEXT = "plaintext-4f9c1e";
const KEY = "diaryEntryKey";

async function run(args: string[]) {
  const proc = spawnCli(args);
  const exit = await proc.exit(60_000);
  return { code: exit.code, stdout: proc.stdout, stderr: proc.stderr };
}

async function privateData() {
  const store = createMemoryStore();
  const node = createAccountNode({ crypto: await testCrypto(), storage: createMemoryStorage({ store }), name: "Diarist", gc: false });
  const parent = node.createGroup();
  parent.addMember("everyone", "reader");
  const child = node.createGroup();
  child.extend(parent);
  const diary = child.createMap();
  for (let i = 0; i < 12; i++) diary.set(`${KEY}${i}`, `${PLAINTEXT} ${i}`);
  const list = child.createList();
  list.append(`${PLAINTEXT} in a list`);
  await node.close();
  return { store, accountId: node.accountId as string, parentId: parent.id, childId: child.id, diaryId: diary.id };
}

test("inspect: a private value shows header, owner chain, authors and access, never its plaintext", async () => {
  await using dir = await tempDir();
  const data = await privateData();
  const db = join(dir.path, "s.db");
  await sqliteWith(data, db);

  const text = await run(["inspect", data.diaryId, "--db", db]);
  expect(text, text.stderr).toMatchObject({ code: 0, stderr: "" });
  expect(text.stdout).toContain(`${data.diaryId}  comap`);
  expect(text.stdout).toContain(`${data.childId}  group  (owner)`);
  expect(text.stdout).toContain(`${data.parentId}  group  (parent of ${data.childId})`);
  expect(text.stdout).toMatch(new RegExp(`author ${data.accountId}: 12 tx \\(12 private, 0 trusting\\)`));
  expect(text.stdout).toContain("may read:  everyone");
  expect(text.stdout).toContain(`${data.accountId}: admin`);

  const json = await run(["inspect", data.diaryId, "--db", db, "--json"]);
  expect(json.code).toBe(0);
  const report = JSON.parse(json.stdout);
  expect(report).toMatchObject({
    id: data.diaryId,
    kind: "comap",
    deleted: false,
    transactions: 12,
    sessions: [{ author: data.accountId, transactions: 12, privateTransactions: 12, deletes: false }],
    access: { rule: "group", readers: expect.arrayContaining(["everyone", data.accountId]), writers: [data.accountId], admins: [data.accountId] },
  });
  expect(report.access.ownerChain.map((link: { id: string }) => link.id)).toEqual([data.childId, data.parentId]);
  expect(Date.parse(report.firstMadeAt)).toBeLessThanOrEqual(Date.parse(report.lastMadeAt));

  for (const output of [text.stdout, json.stdout, text.stderr, json.stderr]) {
    expect(output).not.toContain(PLAINTEXT);
    expect(output).not.toContain(KEY);
    // Neither key material nor sealed keys.
    expect(output).not.toMatch(/keySecret_z|sealerSecret_z|signerSecret_z|sealed_U/);
  }
});

test("inspect: a member removed from the owner group is listed as revoked, in text and JSON", async () => {
  await using dir = await tempDir();
  const crypto = await testCrypto();
  const store = createMemoryStore();
  const node = createAccountNode({ crypto, storage: createMemoryStorage({ store }), name: "Owner", gc: false });
  const group = node.createGroup();
  const removed = crypto.agentId(crypto.newRandomAgentSecret()) as AgentId;
  const kept = crypto.agentId(crypto.newRandomAgentSecret()) as AgentId;
  group.addMember(removed, "writer");
  group.addMember(kept, "reader");
  group.removeMember(removed);
  const map = group.createMap();
  map.set("k", "v");
  await node.close();
  const db = join(dir.path, "s.db");
  await sqliteWith({ store }, db);

  const text = await run(["inspect", map.id, "--db", db]);
  expect(text, text.stderr).toMatchObject({ code: 0, stderr: "" });
  expect(text.stdout).toContain(`    ${removed}: revoked\n`);
  expect(text.stdout).toContain(`    ${kept}: reader\n`);
  const accessLines = text.stdout.split("\n").filter((line) => /may (read|write):|admins/.test(line));
  expect(accessLines).toHaveLength(3);
  for (const line of accessLines) expect(line).not.toContain(removed);

  const json = await run(["inspect", map.id, "--db", db, "--json"]);
  expect(json, json.stderr).toMatchObject({ code: 0, stderr: "" });
  const { access } = JSON.parse(json.stdout);
  expect(access.roles).toMatchObject({ [removed]: "revoked", [kept]: "reader", [node.accountId as string]: "admin" });
  expect(access.readers).not.toContain(removed);
  expect(access.writers).not.toContain(removed);
  // Nobody made everyone a member: it is not listed.
  expect(access.roles).not.toHaveProperty("everyone");
});

test("inspect --url: a running server gives the same report as the store, still without plaintext", async () => {
  await using dir = await tempDir();
  const data = await privateData();
  const db = join(dir.path, "s.db");
  await sqliteWith(data, db);
  const offline = await run(["inspect", data.diaryId, "--db", db, "--json"]);
  const offlineText = await run(["inspect", data.diaryId, "--db", db]);
  await using server = spawnCli(["serve", "--port", "0", "--db", db, "--log-level", "warn"]);
  const url = await listeningUrl(server);
  const online = await run(["inspect", data.diaryId, "--url", url, "--json"]);
  expect(online, online.stderr).toMatchObject({ code: 0, stderr: "" });
  expect(JSON.parse(online.stdout)).toEqual(JSON.parse(offline.stdout));
  // As text too: the header (keys in canonical order) and the counts read the same.
  const headerAndCounts = (text: string) => text.split("\n").filter((line) => /^ {2}(header|stored):/.test(line));
  const onlineText = await run(["inspect", data.diaryId, "--url", url]);
  expect(headerAndCounts(onlineText.stdout)).toHaveLength(2);
  expect(headerAndCounts(onlineText.stdout)).toEqual(headerAndCounts(offlineText.stdout));
  expect(online.stdout).not.toContain(PLAINTEXT);
  expect(await run(["inspect", data.diaryId, "--url", url, "--db", db])).toMatchObject({ code: 2, stderr: expect.stringContaining("--db and --url: choose one") });
});

test("inspect/stats: unknown ids and bad arguments are reported with exit codes 1 and 2", async () => {
  await using dir = await tempDir();
  const data = await privateData();
  const db = join(dir.path, "s.db");
  await sqliteWith(data, db);
  expect(await run(["inspect", randomCoId(), "--db", db])).toMatchObject({ code: 1, stderr: expect.stringContaining("is not in SQLite") });
  expect(await run(["inspect", "not-an-id", "--db", db])).toMatchObject({ code: 2 });
  expect(await run(["inspect", data.diaryId, "--db", join(dir.path, "missing.db")])).toMatchObject({ code: 1, stderr: expect.stringContaining("no SQLite database at") });
  expect(await run(["stats", "--db", db, "--top", "many"])).toMatchObject({ code: 2, stderr: expect.stringContaining("--top: expected an integer") });
  expect(await run(["stats"])).toMatchObject({ code: 2, stderr: expect.stringContaining("--db is required") });
});

test("stats: counts by kind, totals, biggest values and growth, as text and JSON", async () => {
  await using dir = await tempDir();
  const data = await privateData();
  const db = join(dir.path, "s.db");
  await sqliteWith(data, db);
  const json = await run(["stats", "--db", db, "--json", "--top", "2"]);
  expect(json, json.stderr).toMatchObject({ code: 0, stderr: "" });
  const stats = JSON.parse(json.stdout);
  // Account, its profile group and profile, parent, child, diary, list.
  expect(stats.values).toBe(7);
  expect(stats.byKind).toMatchObject({ account: { values: 1 }, group: { values: 3 }, comap: { values: 2 }, colist: { values: 1 } });
  expect(stats.biggest).toHaveLength(2);
  expect(stats.biggest[0].id).toBe(data.diaryId);
  expect(stats.growth.period).toBe("day");
  expect(stats.growth.buckets.reduce((sum: number, b: { transactions: number }) => sum + b.transactions, 0)).toBe(stats.transactions);

  const text = await run(["stats", "--db", db]);
  expect(text.code).toBe(0);
  expect(text.stdout).toContain("7 values (0 deleted)");
  expect(text.stderr).toMatch(/^stats: 7\/7 values \(100%\)/m);
  expect(text.stdout + text.stderr).not.toContain(PLAINTEXT);
});

test("stats: the storage quota usage a server recorded per authenticated account is shown", async () => {
  await using dir = await tempDir();
  const db = join(dir.path, "quota.db");
  {
    // A server charging an account named by its hook: the usage lands in the store's counters.
    await using server = await startSyncServer({
      port: 0,
      db,
      log: { level: "silent" },
      processMetrics: false,
      limits: { storageQuotaBytes: 1_000_000 },
      authenticate: () => ({ ok: true, accountId: "co_zQuotaHolder" }),
    });
    const node = createAccountNode({ crypto: await testCrypto(), name: "Writer", gc: false });
    await using _ = await bridgeNode(node, server.url);
    await node.createGroup().createMap({ note: "x".repeat(500) }).waitForSync({ timeoutMs: 10_000 });
  }
  const json = await run(["stats", "--db", db, "--json"]);
  expect(json, json.stderr).toMatchObject({ code: 0 });
  const { quotaUsage } = JSON.parse(json.stdout);
  expect(quotaUsage).toEqual([{ account: "co_zQuotaHolder", bytes: expect.any(Number) }]);
  expect(quotaUsage[0].bytes).toBeGreaterThan(500);
  const text = await run(["stats", "--db", db]);
  expect(text.stdout).toMatch(/storage quota usage by account:\n {4}co_zQuotaHolder {2}\d+ bytes/);
});
