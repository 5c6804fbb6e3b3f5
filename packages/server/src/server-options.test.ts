import { createMemoryStorage } from "@cosync/core";
import { expect, test } from "vitest";
import { createServerLogger, formatPretty } from "./server-logger.js";
import { resolveServerOptions, serverDefaults } from "./server-options.js";
import { startSyncServer } from "./start-sync-server.js";

test("options: defaults are 127.0.0.1:4200 on SQLite ./sync-db/storage.db", () => {
  const resolved = resolveServerOptions({});
  expect(resolved).toMatchObject({ host: "127.0.0.1", port: 4200, storage: { kind: "sqlite", file: "./sync-db/storage.db" } });
  expect(resolved.authenticateTimeoutMs).toBe(10_000);
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
  expect(() => resolveServerOptions({ limits: { maxConnections: 0 } })).toThrow("limits.maxConnections: expected an integer from 1 to 9007199254740991, got 0");
  expect(() => resolveServerOptions({ limits: { connection: { messages: { perSecond: -1 } } } })).toThrow("limits.connection.messages.perSecond");
  expect(() => resolveServerOptions({ limits: { account: { bytes: { perSecond: 10, burst: 0 } } } })).toThrow("limits.account.bytes.burst");
  expect(() => resolveServerOptions({ limits: { storageQuotaBytes: -5 } })).toThrow("limits.storageQuotaBytes");
});

test("options: Infinity, NaN, fractions and negatives are refused naming the option (omit a rate or quota for no limit)", () => {
  const bad: Array<[Parameters<typeof resolveServerOptions>[0], string]> = [
    [{ limits: { maxConnections: Number.POSITIVE_INFINITY } }, "limits.maxConnections: expected an integer from 1 to"],
    [{ limits: { maxConnections: 2.5 } }, "limits.maxConnections: expected an integer from 1 to"],
    [{ limits: { maxFrameBytes: Number.NaN } }, "limits.maxFrameBytes: expected an integer from 1 to"],
    [{ limits: { maxMessageBytes: Number.POSITIVE_INFINITY } }, "limits.maxMessageBytes: expected an integer from 1 to"],
    [{ limits: { maxFrameBytes: 1024, maxMessageBytes: 2048 } }, "limits.maxMessageBytes (2048) cannot exceed limits.maxFrameBytes (1024)"],
    [{ limits: { noticesPerSecond: Number.POSITIVE_INFINITY } }, "limits.noticesPerSecond: expected a finite number > 0, got Infinity"],
    [{ limits: { noticesPerSecond: 0 } }, "limits.noticesPerSecond: expected a finite number > 0, got 0"],
    [{ limits: { storageQuotaBytes: Number.POSITIVE_INFINITY } }, "limits.storageQuotaBytes: expected an integer from 0 to"],
    [{ limits: { storageQuotaBytes: Number.NaN } }, "limits.storageQuotaBytes: expected an integer from 0 to"],
    [{ limits: { connectionQuotaBytes: -1 } }, "limits.connectionQuotaBytes: expected an integer from 0 to"],
    [{ limits: { maxParkedPerConnection: 1.5 } }, "limits.maxParkedPerConnection: expected an integer from 0 to"],
    [{ limits: { maxParkedBytesPerConnection: Number.POSITIVE_INFINITY } }, "limits.maxParkedBytesPerConnection: expected an integer from 0 to"],
    [{ limits: { maxParkedBytes: Number.NaN } }, "limits.maxParkedBytes: expected an integer from 0 to"],
    [{ limits: { parkTimeoutMs: 0 } }, "limits.parkTimeoutMs: expected a number from 1 to 2147483647, got 0"],
    [{ limits: { connection: { bytes: { perSecond: Number.POSITIVE_INFINITY } } } }, "limits.connection.bytes.perSecond: expected a positive number, got Infinity"],
    [{ limits: { account: { messages: { perSecond: 5, burst: Number.NaN } } } }, "limits.account.messages.burst: expected a positive number, got NaN"],
    [{ limits: { bans: ["co_zA", ""] } }, 'limits.bans: expected account or agent ids (non-empty strings), got ""'],
    [{ limits: { closeBanned: "no" as never } }, "limits.closeBanned: expected a boolean, got no"],
    [{ limits: "strict" as never }, "limits: expected an object"],
    [{ pingIntervalMs: Number.POSITIVE_INFINITY }, "pingIntervalMs: expected a number from 0 to 2147483647 (0: no pings), got Infinity"],
    [{ pingIntervalMs: -1 }, "pingIntervalMs: expected a number from 0 to 2147483647 (0: no pings), got -1"],
    [{ drainTimeoutMs: Number.NaN }, "drainTimeoutMs: expected a number from 0 to 2147483647, got NaN"],
    [{ authenticate: "yes" as never }, "authenticate: expected a function"],
    [{ authenticateTimeoutMs: 0 }, "authenticateTimeoutMs: expected a number from 1 to 2147483647, got 0"],
    [{ authenticateTimeoutMs: Number.POSITIVE_INFINITY }, "authenticateTimeoutMs: expected a number from 1 to 2147483647, got Infinity"],
    [{ authenticateTimeoutMs: "10s" as never }, "authenticateTimeoutMs: expected a number from 1 to 2147483647, got 10s"],
  ];
  for (const [options, message] of bad) expect(() => resolveServerOptions(options), JSON.stringify(options)).toThrow(message);
});

test("options: gc is false, or an object of valid durations, checked before anything reaches core", async () => {
  expect(resolveServerOptions({}).gc).toEqual({});
  expect(resolveServerOptions({ gc: false }).gc).toBe(false);
  expect(resolveServerOptions({ gc: { intervalMs: 1000, idleMs: 0 } }).gc).toEqual({ intervalMs: 1000, idleMs: 0 });
  const bad: Array<[unknown, string]> = [
    [true, "gc: expected false or an object { intervalMs?, idleMs? }, got true"],
    [null, "gc: expected false or an object { intervalMs?, idleMs? }, got null"],
    [{ intervalMs: Number.NaN }, "gc.intervalMs: expected a number from 1 to 2147483647, got NaN"],
    [{ intervalMs: 0 }, "gc.intervalMs: expected a number from 1 to 2147483647, got 0"],
    [{ idleMs: -1 }, "gc.idleMs: expected a number from 0 to 2147483647, got -1"],
    [{ idleMs: Number.POSITIVE_INFINITY }, "gc.idleMs: expected a number from 0 to 2147483647, got Infinity"],
    [{ idleMs: "5m" }, "gc.idleMs: expected a number from 0 to 2147483647, got 5m"],
    [{ interval: 1000 }, "gc.interval: unknown option (expected intervalMs or idleMs)"],
  ];
  for (const [gc, message] of bad) expect(() => resolveServerOptions({ gc: gc as never }), String(gc)).toThrow(message);
  await expect(startSyncServer({ port: 0, inMemory: true, log: { level: "silent" }, gc: { intervalMs: -5 } })).rejects.toThrow(
    "gc.intervalMs: expected a number from 1 to 2147483647, got -5",
  );
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

test("a misspelt option is refused by name, at the top level and in limits (a limit meant to protect the server must not be silently off)", () => {
  expect(() => resolveServerOptions({ drainTimeout: 5 } as never)).toThrow(/^drainTimeout: unknown option \(expected one of host, port/);
  expect(() => resolveServerOptions({ limits: { maxConection: 5 } } as never)).toThrow(/^limits\.maxConection: unknown option/);
  expect(resolveServerOptions({ inMemory: true, limits: { maxConnections: 5 } }).limits.maxConnections).toBe(5);
});

test("options: a db URL of another database (mysql://, file://) is refused, not taken for a SQLite file of that name", () => {
  expect(() => resolveServerOptions({ db: "mysql://u@h/db" })).toThrow(
    'db: "mysql://u@h/db" is not supported (mysql://): expected a SQLite file path or a postgres:// or postgresql:// URL',
  );
  expect(() => resolveServerOptions({ db: "file:///data/s.db" })).toThrow("(file://)");
  expect(() => resolveServerOptions({ db: "mysql://u:hunter2@h/db" })).not.toThrow(/hunter2/);
  expect(resolveServerOptions({ db: "C://odd but a path" }).storage.kind).toBe("sqlite");
});
