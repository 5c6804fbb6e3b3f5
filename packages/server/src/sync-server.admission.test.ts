import { connect } from "node:net";
import { expect, test } from "vitest";
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
  // The caller's logger failing at "client connected" is a set-up failure after the peer was added.
  let failures = 0;
  const logger = {
    debug() {},
    warn() {},
    error() {},
    info(_fields: object, message: string) {
      if (message === "client connected" && failures++ === 0) throw new Error("log sink unavailable");
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
