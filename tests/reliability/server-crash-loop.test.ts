// 20 SIGKILLs of a SQLite-backed server under write load from several clients: nothing
// acknowledged is lost, every client reconnects and continues its session without a fork.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStorage } from "@cosync/storage-sqlite";
import { afterAll, beforeAll, expect, test } from "vitest";
import { build } from "../cli/serve-process.js";
import { runCrashLoop } from "./crash-loop.js";

let dir: string;

beforeAll(async () => {
  await build("packages/server");
  dir = await mkdtemp(join(tmpdir(), "cosync-crash-loop-"));
}, 240_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("server crash loop (SQLite): 20 SIGKILLs under load from 3 clients lose no acknowledged transaction", async () => {
  const file = join(dir, "server.db");
  const report = await runCrashLoop({
    db: file,
    openServerStorage: () => openSqliteStorage({ file }),
    dir,
    cycles: 20,
    clients: 3,
    label: "SQLite",
  });
  expect(report.kills).toBe(20);
  expect(report.acknowledged).toBeGreaterThan(0);
  expect(report.lost).toBe(0);
}, 180_000);
