// `cosync delete` through the built bin: refused without --force (the operator is no admin, and
// only an admin's signed delete session deletes in cojson), naming the admins; with --force and a
// reason, an audit line is written, the store tombstones the value, and a server started on it
// serves none of the value's erased content.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { CoId } from "@cosync/core";
import { openSqliteStorage } from "@cosync/storage-sqlite";
import { beforeAll, expect, test } from "vitest";
import { bridgeNode } from "../../packages/server/src/test-fixtures/raw-client.js";
import { createTestNode } from "../helpers/nodes.js";
import { sqliteWith, tempDir, writeSignedData } from "./operator-fixtures.js";
import { build, listeningUrl, spawnCli } from "./serve-process.js";

beforeAll(() => build("packages/cli"), 300_000);

async function run(args: string[], cwd?: string) {
  const proc = spawnCli(args, cwd === undefined ? {} : { cwd });
  const exit = await proc.exit(60_000);
  return { code: exit.code, stdout: proc.stdout, stderr: proc.stderr };
}

test("delete: refused without --force, naming the admins; --force writes an audit line and a tombstone the server honours", async () => {
  await using dir = await tempDir();
  const data = await writeSignedData({ maps: 2, writesPerMap: 10, everyoneReads: true });
  const db = join(dir.path, "s.db");
  await sqliteWith(data, db);
  const target = data.mapIds[0] as CoId;
  const before = await (async () => {
    await using store = await openSqliteStorage({ file: db });
    return store.knownState(target);
  })();

  const refused = await run(["delete", target, "--db", db]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`refused: ${target} can only be deleted by an admin of its owner group (admins: ${data.accountId})`);
  expect(await run(["delete", target, "--db", db, "--force"])).toMatchObject({ code: 2, stderr: expect.stringContaining("--force needs --reason") });
  {
    await using store = await openSqliteStorage({ file: db });
    expect(await store.isDeleted(target)).toBe(false);
    expect(await store.knownState(target)).toEqual(before);
  }

  const audit = join(dir.path, "audit.log");
  const forced = await run(["delete", target, "--db", db, "--force", "--reason", "court order 17", "--audit-log", audit, "--json"]);
  expect(forced, forced.stderr).toMatchObject({ code: 0 });
  expect(JSON.parse(forced.stdout)).toMatchObject({ id: target, deleted: true, erasedSessions: 1, erasedTransactions: 10 });
  const line = JSON.parse((await readFile(audit, "utf8")).trim());
  expect(line).toMatchObject({ action: "delete --force", id: target, reason: "court order 17", admins: [data.accountId], erasedTransactions: 10 });
  expect(forced.stderr).toContain("cosync delete: audit: ");
  expect(await run(["delete", target, "--db", db])).toMatchObject({ code: 0, stdout: `${target} is already deleted\n` });
  expect((await run(["inspect", target, "--db", db])).stdout).toContain("DELETED");

  await using server = spawnCli(["serve", "--port", "0", "--db", db, "--log-level", "warn"]);
  const url = await listeningUrl(server);
  const bob = await createTestNode();
  await using _bob = await bridgeNode(bob, url);
  const loaded = await bob.load(target);
  // The header may still be served (deletion keeps it, as cojson does); no erased transaction is.
  if (loaded.status === "loaded") expect(loaded.value.knownState().sessions).toEqual({});
  const untouched = await bob.load(data.mapIds[1] as CoId);
  expect(untouched.status === "loaded" && Object.values(untouched.value.knownState().sessions)).toEqual([10]);
});
