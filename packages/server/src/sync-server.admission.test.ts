import { connect } from "node:net";
import { expect, test, vi } from "vitest";
import WebSocket from "ws";
import { startSyncServer } from "./start-sync-server.js";

/** Sends a raw (malformed: no Sec-WebSocket-Key) upgrade request; resolves when the server closes it. */
function malformedUpgrade(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () =>
      socket.write("GET /x HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n"),
    );
    let answer = "";
    socket.on("data", (data) => {
      answer += String(data);
    });
    socket.on("close", () => resolve(answer));
    socket.on("error", () => resolve(answer));
  });
}

test("admission: malformed upgrade requests do not use up the connection limit", async () => {
  await using server = await startSyncServer({ port: 0, inMemory: true, processMetrics: false, log: { level: "silent" }, limits: { maxConnections: 3 } });
  const port = Number(new URL(server.url).port);
  for (let i = 0; i < 5; i++) expect(await malformedUpgrade(port)).toMatch(/^HTTP\/1\.1 400/);
  const ws = new WebSocket(server.url);
  const outcome = await new Promise<string | number>((resolve) => {
    ws.on("open", () => resolve("open"));
    ws.on("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
    ws.on("error", (error) => resolve(String(error)));
  });
  ws.close();
  expect(outcome).toBe("open");
});

test("admission: a connection whose set-up fails is cut and leaves nothing behind (not counted as open, slot freed)", async () => {
  // The caller's logger failing at "connection opened" is a set-up failure after the peer was added.
  let failures = 0;
  const logger = {
    info() {},
    warn() {},
    error() {},
    debug(_fields: object, message: string) {
      if (message === "connection opened" && failures++ === 0) throw new Error("log sink unavailable");
    },
  };
  await using server = await startSyncServer({ port: 0, inMemory: true, processMetrics: false, logger, limits: { maxConnections: 1 } });
  const first = new WebSocket(server.url);
  const closeCode = await new Promise<number>((resolve) => first.on("close", (code) => resolve(code)));
  expect(closeCode).toBe(1006); // terminated: the server could not serve it
  expect(server.node.syncManager.peers.size).toBe(0);
  const metrics = await (await fetch(`${server.url.replace("ws://", "http://")}/metrics`)).text();
  expect(metrics).toMatch(/^cosync_connections 0$/m);
  // The only slot is free again: the next connection is admitted and served.
  const second = new WebSocket(server.url);
  await new Promise<void>((resolve, reject) => {
    second.on("open", () => resolve());
    second.on("unexpected-response", (_request, response) => reject(new Error(`refused with ${response.statusCode}`)));
  });
  second.close();
});

interface LogLine {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly fields: object;
  readonly message: string;
}

function recordingLogger(lines: LogLine[]) {
  const at = (level: LogLine["level"]) => (fields: object, message: string) => void lines.push({ level, fields, message });
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** Resolves with "open" or the HTTP status the upgrade was refused with (and its body). */
function upgradeOutcome(url: string): Promise<{ readonly status: "open" | number; readonly body: string; readonly ws: WebSocket }> {
  const ws = new WebSocket(url);
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ status: "open", body: "", ws }));
    ws.once("error", reject);
    ws.once("unexpected-response", (_request, response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body, ws }));
    });
  });
}

async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url.replace("ws://", "http://")}/metrics`)).text();
}

test("admission: an authenticate hook that never settles is refused with HTTP 504 after authenticateTimeoutMs, freeing its slot", async () => {
  const lines: LogLine[] = [];
  const timeoutMs = 150;
  await using server = await startSyncServer({
    port: 0,
    inMemory: true,
    processMetrics: false,
    logger: recordingLogger(lines),
    limits: { maxConnections: 1 },
    authenticateTimeoutMs: timeoutMs,
    authenticate: (request) => (request.url?.includes("hang") ? new Promise(() => {}) : { ok: true }),
  });
  const started = performance.now();
  const refused = await upgradeOutcome(`${server.url}/?hang`);
  const elapsed = performance.now() - started;
  expect(refused.status).toBe(504);
  expect(refused.body).toBe(JSON.stringify({ error: `authentication did not finish within ${timeoutMs} ms` }));
  expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 5);
  expect(elapsed).toBeLessThan(5000); // far below the hook's "never"
  expect(lines).toContainEqual({ level: "error", fields: { timeoutMs, path: "/" }, message: "authenticate hook did not settle in time" });
  const metrics = await metricsText(server.url);
  expect(metrics).toContain('cosync_connections_refused_total{reason="auth_timeout"} 1');
  expect(metrics).toMatch(/^cosync_connections 0$/m);
  // maxConnections is 1: the hung attempt no longer holds the only slot.
  const next = await upgradeOutcome(server.url);
  expect(next.status).toBe("open");
  next.ws.close();
});

test("admission: a verdict or rejection arriving after authenticateTimeoutMs is ignored", async () => {
  const late: Array<{ resolve: (verdict: { ok: true }) => void; reject: (error: Error) => void }> = [];
  await using server = await startSyncServer({
    port: 0,
    inMemory: true,
    processMetrics: false,
    log: { level: "silent" },
    limits: { maxConnections: 1 },
    authenticateTimeoutMs: 50,
    authenticate: (request) =>
      request.url?.includes("late") ? new Promise((resolve, reject) => void late.push({ resolve, reject })) : { ok: true },
  });
  expect((await upgradeOutcome(`${server.url}/?late`)).status).toBe(504);
  expect((await upgradeOutcome(`${server.url}/?late`)).status).toBe(504);
  // Settling now (one admits, one rejects, which must not surface as an unhandled rejection)
  // neither connects a peer nor changes the count of held slots.
  late[0]?.resolve({ ok: true });
  late[1]?.reject(new Error("auth backend answered too late"));
  const admitted = await upgradeOutcome(server.url);
  expect(admitted.status).toBe("open");
  await vi.waitFor(() => expect(server.node.syncManager.peers.size).toBe(1));
  expect((await upgradeOutcome(server.url)).status).toBe(503); // the one slot is taken by `admitted` alone
  admitted.ws.close();
});

test("admission: an authenticate hook that throws, rejects or returns no verdict is refused with HTTP 500, logged and counted", async () => {
  const lines: LogLine[] = [];
  await using server = await startSyncServer({
    port: 0,
    inMemory: true,
    processMetrics: false,
    logger: recordingLogger(lines),
    authenticate: (request) => {
      if (request.url?.includes("throw")) throw new Error("thrown by the hook");
      if (request.url?.includes("reject")) return Promise.reject(new Error("rejected by the hook"));
      return undefined as never;
    },
  });
  for (const path of ["/?throw", "/?reject", "/?nothing"]) {
    const outcome = await upgradeOutcome(`${server.url}${path}`);
    expect(outcome, path).toMatchObject({ status: 500, body: JSON.stringify({ error: "authentication failed on the server" }) });
  }
  const failures = lines.filter((line) => line.level === "error" && line.message === "authenticate hook failed");
  expect(failures.map((line) => String((line.fields as { err?: unknown }).err))).toEqual([
    "Error: thrown by the hook",
    "Error: rejected by the hook",
    "TypeError: authenticate: expected { ok: true } or { ok: false, reason }, got undefined",
  ]);
  expect(await metricsText(server.url)).toContain('cosync_connections_refused_total{reason="auth_error"} 3');
  expect(server.node.syncManager.peers.size).toBe(0);
});
