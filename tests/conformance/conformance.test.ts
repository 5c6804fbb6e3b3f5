// The wire conformance suite (@cosync/testing's runConformance) against cosync's server and a real
// cojson 0.20.19 server: both pass. Against a server whose corrections are dropped on the way, it
// fails, naming the case.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { startSyncServer } from "@cosync/server";
import { formatConformanceReport, runConformance } from "@cosync/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { WebSocket } from "ws";
import { startCojsonSyncServer } from "../helpers/cojson-sync-server.js";
import { startBreakingProxy } from "./breaking-proxy.js";

const crypto = await loadNodeCryptoProvider();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cosync-conformance-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (url: string) => runConformance({ url, WebSocket: WebSocket as never, crypto });

test("conformance: cosync's server passes every case, error notices included", async () => {
  await using server = await startSyncServer({ port: 0, db: join(dir, "cosync.db"), processMetrics: false, log: { level: "silent" } });
  const report = await run(server.url);
  console.info(formatConformanceReport(report));
  expect(report.extensions).toContain("error-notices");
  expect(report.results.filter((result) => result.status === "fail")).toEqual([]);
  expect(report.results.length).toBeGreaterThanOrEqual(12);
});

test("conformance: a real cojson 0.20.19 server passes every case", async () => {
  await using server = await startCojsonSyncServer({ file: join(dir, "cojson.db") });
  const report = await run(server.url);
  console.info(formatConformanceReport(report));
  expect(report.extensions).toEqual([]);
  expect(report.results.filter((result) => result.status === "fail")).toEqual([]);
});

test("conformance: a server that skips corrections fails, and the report names the case", async () => {
  await using server = await startSyncServer({ port: 0, inMemory: true, processMetrics: false, log: { level: "silent" } });
  await using proxy = await startBreakingProxy(server.url, (entry) => !(entry.action === "known" && entry.isCorrection === true));
  const report = await run(proxy.url);
  const text = formatConformanceReport(report);
  expect(report.passed).toBe(false);
  const failed = report.results.filter((result) => result.status === "fail").map((result) => result.name);
  expect(failed).toEqual([
    "content with a gap is corrected and not stored",
    "content without a header for an unknown value is corrected (header false)",
  ]);
  expect(text).toContain("FAIL content with a gap is corrected and not stored\n     expected: known");
});
