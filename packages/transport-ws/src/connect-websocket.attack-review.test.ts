// Attack review (branch attack-review): a hostile sync server answering a client's upgrade with a
// refusal whose body is endless, huge, or not JSON. Real sockets (node:http), real ws client.
// "FINDING" tests fail on the code as it is; "refused" ones are attacks that are correctly handled.
import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";
import { expect, test } from "vitest";
import { WebSocket } from "ws";
import { connectWebSocket } from "./connect-websocket.js";

async function hostile(onUpgrade: (socket: Socket) => void): Promise<{ url: string; server: Server; [Symbol.asyncDispose](): Promise<void> }> {
  const server = createServer();
  const sockets = new Set<Socket>();
  server.on("upgrade", (_request, socket: Socket) => {
    sockets.add(socket);
    // The client hanging up mid-body is what these tests want; writing on is then EPIPE.
    socket.on("error", () => {});
    onUpgrade(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${address.port}`,
    server,
    async [Symbol.asyncDispose]() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test("fixed: a 401 whose body never ends no longer holds the connect attempt, and the client stops downloading it", async () => {
  let written = 0;
  let closedAt: number | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  await using server = await hostile((socket) => {
    socket.write("HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n");
    const chunk = "x".repeat(16 * 1024);
    timer = setInterval(() => {
      if (socket.destroyed) return;
      socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      written += chunk.length;
    }, 5);
    socket.on("close", () => {
      closedAt ??= Date.now();
      clearInterval(timer);
    });
  });
  const started = Date.now();
  const error = await connectWebSocket({ url: `${server.url}/?auth=secret-token`, WebSocket, connectTimeoutMs: 3000 }).then(
    () => undefined,
    (e: Error) => e,
  );
  const rejectedAfter = Date.now() - started;
  const writtenAtRejection = written;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  clearInterval(timer);
  expect(error?.message).not.toContain("secret-token");
  // What should hold: the client reads at most its 4 KiB of reason, then gives up and hangs up,
  // instead of waiting for the connect timeout and downloading whatever the server sends meanwhile.
  expect({
    namesTheRefusal: /401/.test(error?.message ?? ""),
    rejectedWithinASecond: rejectedAfter < 1000,
    serverSawTheClientHangUp: closedAt !== undefined,
    bytesDownloadedAfterRejection: written - writtenAtRejection < 64 * 1024,
  }).toEqual({ namesTheRefusal: true, rejectedWithinASecond: true, serverSawTheClientHangUp: true, bytesDownloadedAfterRejection: true });
});

test("refused: a 401 with a non-JSON, a `null` or a huge body yields a bounded reason and never throws", async () => {
  for (const body of ["<html>nope</html>", "null", JSON.stringify({ error: { nested: true } }), "y".repeat(200_000)]) {
    await using server = await hostile((socket) => {
      socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    });
    const error = await connectWebSocket({ url: server.url, WebSocket, connectTimeoutMs: 3000 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/refused the connection with HTTP 401/);
    expect(error?.message.length).toBeLessThan(400);
  }
});

test("fixed: a 401 whose JSON reason is ~60 KB is passed into the error message whole (the 4 KiB bound is checked before appending a chunk)", async () => {
  const body = JSON.stringify({ error: "z".repeat(60_000) });
  await using server = await hostile((socket) => {
    socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  const error = await connectWebSocket({ url: server.url, WebSocket, connectTimeoutMs: 3000 }).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(error?.message.length).toBeLessThan(5000);
});
