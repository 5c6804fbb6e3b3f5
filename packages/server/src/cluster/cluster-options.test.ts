import { expect, test } from "vitest";
import { decodeBusMessage, encodeBusMessages, MAX_PAYLOAD_BYTES } from "./cluster-bus.js";
import { resolveClusterOption } from "./cluster-options.js";

const postgres = { kind: "postgres", url: "postgres://u@h:5432/app" } as const;

test("cluster option: buses resolve against a postgres db, the subject is scoped by database name", () => {
  expect(resolveClusterOption("nats://n:4222", postgres)).toMatchObject({ kind: "nats", url: "nats://n:4222", subject: "cosync.commits.app" });
  expect(resolveClusterOption("postgres", postgres)).toMatchObject({ kind: "postgres", url: postgres.url });
  expect(resolveClusterOption({ bus: "postgres://x/other", processId: "p1" }, postgres)).toMatchObject({ kind: "postgres", url: "postgres://x/other", common: { processId: "p1" } });
  expect(resolveClusterOption(undefined, postgres)).toBeUndefined();
});

test("cluster option: refused with the option named when it cannot work", () => {
  expect(() => resolveClusterOption("nats://n:4222", { kind: "sqlite", file: "x.db" })).toThrow(/cluster: .*only a PostgreSQL database; db is a SQLite file/);
  expect(() => resolveClusterOption("postgres", { kind: "memory" })).toThrow(/in memory/);
  expect(() => resolveClusterOption("redis://r", postgres)).toThrow(/cluster: expected nats/);
  expect(() => resolveClusterOption({ bus: "postgres", subject: "s" }, postgres)).toThrow(/cluster.subject: applies to a NATS bus only/);
  expect(() => resolveClusterOption({ bus: "postgres", catchUpIntervalMs: -1 }, postgres)).toThrow(/cluster.catchUpIntervalMs/);
  expect(() => resolveClusterOption({ bus: "postgres", extra: 1 } as never, postgres)).toThrow(/cluster.extra: unknown option/);
});

test("bus messages: notices round-trip and are cut below the NOTIFY payload limit", () => {
  const notices = Array.from({ length: 200 }, (_, i) => ({ id: `co_z${"a".repeat(40)}${i}` as never, sessions: { [`co_zx_session_z${i}`]: i } }));
  const payloads = encodeBusMessages("p", 1, notices);
  expect(payloads.length).toBeGreaterThan(1);
  for (const payload of payloads) expect(payload.length).toBeLessThan(MAX_PAYLOAD_BYTES);
  expect(payloads.flatMap((payload) => decodeBusMessage(payload)?.notices ?? [])).toEqual(notices);
  expect(decodeBusMessage(encodeBusMessages("p", 1, [])[0] as string)).toEqual({ origin: "p", sentAt: 1, notices: [] });
  expect(decodeBusMessage("not json")).toBeUndefined();
});
