import type { CoId, OutgoingMessage } from "@cosync/core";
import { expect, test } from "vitest";
import { WebSocket } from "ws";
import { ConnectionError, connectWebSocket } from "./connect-websocket.js";
import { createReconnectingConnection } from "./reconnecting-connection.js";
import type { ReceivedPing, WebSocketChannel } from "./socket-channel.js";
import { startSilentTcpServer, startTestServer } from "./test-fixtures/ws-server.js";
import { acceptWebSocket } from "./websocket-channel.js";

const done = (n: number): OutgoingMessage => ({ action: "done", id: `co_zDone${n}` as CoId });

function nextMessage(channel: WebSocketChannel): Promise<unknown> {
  return new Promise((resolve) => {
    const unsubscribe = channel.onMessage((message) => {
      unsubscribe();
      resolve(message);
    });
  });
}

test("connectWebSocket: resolves an open channel to the server with cojson's client defaults", async () => {
  await using server = await startTestServer();
  await using channel = await connectWebSocket({ url: server.url, WebSocket });
  expect([channel.peerId, channel.role, channel.persistent, channel.acceptsErrorNotices]).toEqual([server.url, "server", true, true]);
  const accepted = acceptWebSocket(await server.nextConnection(), { peerId: "c" });
  const atServer = nextMessage(accepted);
  channel.send(done(1));
  expect(await atServer).toEqual(done(1));
});

test("connectWebSocket: a refused connection rejects with a ConnectionError naming the URL", async () => {
  const server = await startTestServer();
  const { url } = server;
  await server.close();
  const attempt = connectWebSocket({ url, WebSocket });
  await expect(attempt).rejects.toBeInstanceOf(ConnectionError);
  await expect(attempt).rejects.toThrow(new RegExp(`could not connect to ${url}.*ECONNREFUSED`));
});

test("connectWebSocket: a server that never answers the upgrade times out", async () => {
  await using silent = await startSilentTcpServer();
  const attempt = connectWebSocket({ url: silent.url, WebSocket, connectTimeoutMs: 100 });
  await expect(attempt).rejects.toThrow(`could not connect to ${silent.url} within 100 ms`);
});

test("connectWebSocket: aborting rejects and closes the socket", async () => {
  await using silent = await startSilentTcpServer();
  const aborter = new AbortController();
  const attempt = connectWebSocket({ url: silent.url, WebSocket, signal: aborter.signal });
  aborter.abort();
  await expect(attempt).rejects.toThrow(/aborted/);
  await expect(connectWebSocket({ url: silent.url, WebSocket, signal: aborter.signal })).rejects.toThrow(/aborted/);
});

test("connectWebSocket: options are checked at the boundary, naming the argument", () => {
  expect(() => connectWebSocket({ url: "http://example.com", WebSocket })).toThrow(/url/);
  expect(() => connectWebSocket({ url: "ws://127.0.0.1:1", WebSocket, pingTimeoutMs: -5 })).toThrow(/pingTimeoutMs/);
  expect(() => connectWebSocket({ url: "ws://127.0.0.1:1", WebSocket, peerId: "" })).toThrow(/peerId/);
  const global = globalThis as { WebSocket?: unknown };
  if (global.WebSocket === undefined) expect(() => connectWebSocket({ url: "ws://127.0.0.1:1" })).toThrow(/pass `WebSocket` from the ws package/);
});

test("client channel: server pings are observed by onPing and never delivered as messages", async () => {
  await using server = await startTestServer();
  await using client = await connectWebSocket({ url: server.url, WebSocket });
  const accepted = acceptWebSocket(await server.nextConnection(), { peerId: "c", pingIntervalMs: 10, now: () => 42 });
  const messages: unknown[] = [];
  client.onMessage((message) => messages.push(message));
  const pings = await new Promise<ReceivedPing[]>((resolve) => {
    const seen: ReceivedPing[] = [];
    client.onPing((ping) => {
      seen.push(ping);
      if (seen.length === 3) resolve(seen);
    });
  });
  expect(pings).toEqual([1, 2, 3].map(() => ({ time: 42, dc: "unknown" })));
  accepted.send(done(7));
  await new Promise<void>((resolve) => {
    client.onMessage(() => resolve());
  });
  expect(messages).toEqual([done(7)]);
});

test("client channel: pings keep a client with a short liveness timeout connected", async () => {
  await using server = await startTestServer();
  await using client = await connectWebSocket({ url: server.url, WebSocket, pingTimeoutMs: 150 });
  acceptWebSocket(await server.nextConnection(), { peerId: "c", pingIntervalMs: 20 });
  let pings = 0;
  await new Promise<void>((resolve) => {
    client.onPing(() => {
      pings += 1;
      if (pings === 30) resolve(); // ≥ 600 ms of pings: four liveness windows
    });
  });
  let closed = false;
  void client.closed.then(() => {
    closed = true;
  });
  await Promise.resolve();
  expect(closed).toBe(false);
});

test("client channel: a server that stops sending is dropped after pingTimeoutMs with PingTimeout (4408)", async () => {
  await using server = await startTestServer();
  const started = Date.now();
  const client = await connectWebSocket({ url: server.url, WebSocket, pingTimeoutMs: 300 });
  const raw = await server.nextConnection();
  const rawClosed = new Promise<number>((resolve) => raw.once("close", (code) => resolve(code)));
  expect(await client.closed).toEqual({ code: 4408, reason: "nothing received for 300 ms" });
  expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  expect(await rawClosed).toBe(4408);
});

test("client channel: any frame counts as a sign of life, not only pings", async () => {
  await using server = await startTestServer();
  await using client = await connectWebSocket({ url: server.url, WebSocket, pingTimeoutMs: 200 });
  const accepted = acceptWebSocket(await server.nextConnection(), { peerId: "c", pingIntervalMs: 0 });
  // A server without pings that sends a message every 40 ms.
  let sent = 0;
  const talker = setInterval(() => accepted.send(done(sent++)), 40);
  try {
    let received = 0;
    await new Promise<void>((resolve) => {
      client.onMessage(() => {
        received += 1;
        if (received === 15) resolve(); // ≥ 600 ms on messages alone: three liveness windows
      });
    });
    expect(await Promise.race([client.closed, Promise.resolve("open")])).toBe("open");
  } finally {
    clearInterval(talker);
  }
});

test("reconnecting connection: reconnects after a server restart on the same port, with the same peer id", async () => {
  const first = await startTestServer();
  const channels: WebSocketChannel[] = [];
  const waiters: Array<() => void> = [];
  const nthChannel = (n: number) =>
    new Promise<WebSocketChannel>((resolve) => {
      const check = () => (channels[n - 1] ? resolve(channels[n - 1] as WebSocketChannel) : waiters.push(check));
      check();
    });
  const errors: number[] = [];
  await using connection = createReconnectingConnection({
    url: first.url,
    WebSocket,
    peerId: "my-server",
    backoff: { baseMs: 20, maxMs: 100 },
    onChannel: (channel) => {
      channels.push(channel);
      for (const waiter of waiters.splice(0)) waiter();
    },
    onConnectError: (_error, _attempt, delay) => errors.push(delay),
  });
  const one = await nthChannel(1);
  expect(connection.channel).toBe(one);
  expect(one.peerId).toBe("my-server");
  await first.nextConnection();
  await first.close();
  expect((await one.closed).code).toBe(1006);

  await using second = await startTestServer(first.port);
  const two = await nthChannel(2);
  expect(two.peerId).toBe("my-server");
  const accepted = acceptWebSocket(await second.nextConnection(), { peerId: "c" });
  const atServer = nextMessage(accepted);
  two.send(done(2));
  expect(await atServer).toEqual(done(2));
  for (const delay of errors) expect(delay).toBeLessThanOrEqual(100);

  await connection.stop();
  expect(await two.closed).toEqual({ code: 1000, reason: "stopped" });
  expect(connection.channel).toBeUndefined();
});

test("reconnecting connection: backs off linearly, capped, while the server is down; stop ends the loop", async () => {
  const server = await startTestServer();
  const { url } = server;
  await server.close();
  const delays: number[] = [];
  let stopNow: () => void = () => {};
  const enough = new Promise<void>((resolve) => {
    stopNow = resolve;
  });
  const connection = createReconnectingConnection({
    url,
    WebSocket,
    backoff: { baseMs: 5, maxMs: 15 },
    onChannel: () => {
      throw new Error("no server is listening");
    },
    onConnectError: (error, attempt, delay) => {
      expect(error).toBeInstanceOf(ConnectionError);
      expect(attempt).toBe(delays.length + 1);
      delays.push(delay);
      if (delays.length === 5) stopNow();
    },
  });
  await enough;
  await connection.stop();
  expect(delays).toEqual([5, 10, 15, 15, 15]);
  await connection.stop();
});

test("reconnecting connection: options are checked at the boundary", () => {
  expect(() => createReconnectingConnection({ url: "ws://x", WebSocket, onChannel: undefined as never })).toThrow(/onChannel/);
  expect(() => createReconnectingConnection({ url: "ws://x", WebSocket, onChannel: () => {}, backoff: { baseMs: 0 } })).toThrow(/backoff.baseMs/);
  expect(() => createReconnectingConnection({ url: "https://x", WebSocket, onChannel: () => {} })).toThrow(/url/);
});

test("client options: durations must be finite and fit a timer (Node would fire longer ones after 1 ms)", () => {
  // Refused up front (synchronously), before any socket is opened.
  expect(() => connectWebSocket({ url: "ws://127.0.0.1:1", WebSocket, pingTimeoutMs: Number.POSITIVE_INFINITY })).toThrow(/pingTimeoutMs: expected a finite/);
  expect(() => connectWebSocket({ url: "ws://127.0.0.1:1", WebSocket, connectTimeoutMs: 1e10 })).toThrow(/connectTimeoutMs: at most 2147483647 ms/);
});
