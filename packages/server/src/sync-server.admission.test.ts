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
