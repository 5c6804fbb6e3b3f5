import { expect, test } from "vitest";
import { createMessageTrace, describeMessage } from "./message-trace.js";
import { createServerLogger, formatPretty } from "./server-logger.js";

test("message trace: says what moved, per session, and nothing of the transactions", () => {
  const content = {
    action: "content",
    id: "co_zA",
    header: { type: "comap" },
    priority: 3,
    new: { sealer_zS_session_z1: { after: 0, newTransactions: [{ privacy: "trusting", changes: "secret" }, {}], lastSignature: "signature_z1" } },
  };
  expect(describeMessage(content)).toEqual({ action: "content", id: "co_zA", header: true, sessions: { sealer_zS_session_z1: 2 } });
  expect(JSON.stringify(describeMessage(content))).not.toContain("secret");
  expect(describeMessage({ action: "known", id: "co_zA", header: false, sessions: { s1: 4 } })).toEqual({ action: "known", id: "co_zA", header: false, sessions: { s1: 4 } });
  const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`s${i}`, i]));
  expect(describeMessage({ action: "load", id: "co_zA", header: true, sessions: many })).toMatchObject({ sessionCount: 20 });
  expect(Object.keys((describeMessage({ action: "load", id: "co_zA", sessions: many }).sessions as object) ?? {})).toHaveLength(8);
  expect(describeMessage("garbage")).toEqual({ action: "invalid" });
});

test("message trace: only a logger with trace enabled gets a tracer (nothing runs per message otherwise)", () => {
  const lines: string[] = [];
  const destination = { write: (line: string) => lines.push(line) };
  expect(createMessageTrace(createServerLogger({ level: "debug", destination }))).toBeUndefined();
  expect(createMessageTrace({ debug() {}, info() {}, warn() {}, error() {} })).toBeUndefined();
  const trace = createMessageTrace(createServerLogger({ level: "trace", destination }));
  trace?.("peer#1", "in", { action: "done", id: "co_zA" }, 30);
  expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ level: 10, msg: "sync message", peer: "peer#1", direction: "in", action: "done", id: "co_zA", bytes: 30 });
});

test("pretty logs: a field the message already says is not repeated", () => {
  const line = formatPretty(JSON.stringify({ level: 30, time: 0, msg: "listening on ws://127.0.0.1:4200", url: "ws://127.0.0.1:4200", storage: "in memory" }));
  expect(line).toBe('00:00:00.000 INFO  listening on ws://127.0.0.1:4200 storage="in memory"\n');
});
