import { createMemoryStorage } from "@cosync/core";
import { expect, test } from "vitest";
import { createServerLogger, formatPretty } from "./server-logger.js";
import { resolveServerOptions, serverDefaults } from "./server-options.js";

test("options: defaults are 127.0.0.1:4200 on SQLite ./sync-db/storage.db", () => {
  const resolved = resolveServerOptions({});
  expect(resolved).toMatchObject({ host: "127.0.0.1", port: 4200, storage: { kind: "sqlite", file: "./sync-db/storage.db" } });
  expect(resolved.limits).toMatchObject({ maxConnections: serverDefaults.maxConnections, maxFrameBytes: 8 * 1024 * 1024, maxMessageBytes: 4 * 1024 * 1024 });
});

test("options: storage is chosen by storage, inMemory, or the db string", () => {
  const storage = createMemoryStorage();
  expect(resolveServerOptions({ storage, db: "x.db" }).storage).toEqual({ kind: "given", storage });
  expect(resolveServerOptions({ inMemory: true }).storage).toEqual({ kind: "memory" });
  expect(resolveServerOptions({ db: "postgres://u@h:5432/db" }).storage).toEqual({ kind: "postgres", url: "postgres://u@h:5432/db" });
  expect(resolveServerOptions({ db: "postgresql://u@h/db" }).storage.kind).toBe("postgres");
  expect(resolveServerOptions({ db: "data/s.db" }).storage).toEqual({ kind: "sqlite", file: "data/s.db" });
});

test("options: invalid values are refused naming the option", () => {
  expect(() => resolveServerOptions({ port: 70_000 })).toThrow("port: expected an integer from 0 to 65535, got 70000");
  expect(() => resolveServerOptions({ port: 1.5 })).toThrow("port:");
  expect(() => resolveServerOptions({ host: "" })).toThrow("host: expected a non-empty string");
  expect(() => resolveServerOptions({ inMemory: true, db: "x.db" })).toThrow("db and inMemory: choose one");
  expect(() => resolveServerOptions({ limits: { maxConnections: 0 } })).toThrow("limits.maxConnections: expected a number ≥ 1, got 0");
  expect(() => resolveServerOptions({ limits: { connection: { messages: { perSecond: -1 } } } })).toThrow("limits.connection.messages.perSecond");
  expect(() => resolveServerOptions({ limits: { account: { bytes: { perSecond: 10, burst: 0 } } } })).toThrow("limits.account.bytes.burst");
  expect(() => resolveServerOptions({ limits: { storageQuotaBytes: -5 } })).toThrow("limits.storageQuotaBytes");
});

test("options: a ban array becomes a set; a caller's set is kept as is (it may change live)", () => {
  expect(resolveServerOptions({ limits: { bans: ["co_zA"] } }).limits.bans).toEqual(new Set(["co_zA"]));
  const live = new Set<string>();
  expect(resolveServerOptions({ limits: { bans: live } }).limits.bans).toBe(live);
});

test("logger: JSON lines by default, readable lines in pretty mode", () => {
  const lines: string[] = [];
  const destination = { write: (line: string) => lines.push(line) };
  createServerLogger({ destination }).info({ peer: "1.2.3.4@t#1" }, "client connected");
  expect(JSON.parse(lines[0] ?? "")).toMatchObject({ level: 30, name: "cosync", peer: "1.2.3.4@t#1", msg: "client connected" });
  createServerLogger({ destination, format: "pretty" }).warn({ code: "RateLimited", detail: "two words" }, "refused input");
  expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}refused input code=RateLimited detail="two words"\n$/);
  createServerLogger({ destination, level: "silent" }).error({}, "nothing");
  expect(lines).toHaveLength(2);
  expect(() => createServerLogger({ format: "xml" as never })).toThrow('log.format: expected "json" or "pretty", got xml');
});

test("logger: pretty mode shows errors as type and message", () => {
  const line = formatPretty(JSON.stringify({ level: 50, time: 0, msg: "failed", err: { type: "StorageError", message: "disk full", stack: "…" } }));
  expect(line).toBe('00:00:00.000 ERROR failed err="StorageError: disk full"\n');
});
