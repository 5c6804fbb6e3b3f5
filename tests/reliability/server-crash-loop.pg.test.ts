// 20 SIGKILLs of a Postgres-backed server under write load from several clients: nothing
// acknowledged is lost, every client reconnects and continues its session without a fork.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPostgresStorage } from "@cosync/storage-postgres";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createFreshDatabase, type FreshDatabase } from "../../packages/storage-postgres/src/test-fixtures/fresh-database.js";
import { build } from "../cli/serve-process.js";
import { runCrashLoop } from "./crash-loop.js";

let dir: string;
let db: FreshDatabase;

beforeAll(async () => {
  await build("packages/server");
  dir = await mkdtemp(join(tmpdir(), "cosync-crash-loop-pg-"));
  db = await createFreshDatabase();
}, 240_000);

afterAll(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

test("server crash loop (Postgres): 20 SIGKILLs under load from 3 clients lose no acknowledged transaction", async () => {
  const report = await runCrashLoop({
    db: db.url,
    openServerStorage: () => openPostgresStorage({ url: db.url }),
    dir,
    cycles: 20,
    clients: 3,
    label: "Postgres",
  });
  expect(report.kills).toBe(20);
  expect(report.acknowledged).toBeGreaterThan(0);
  expect(report.lost).toBe(0);
}, 180_000);
