import { CloseCode, type CoId, type OutgoingMessage } from "@cosync/core";
import { runChannelConformance } from "@cosync/testing";
import { expect, test, vi } from "vitest";
import { WebSocket } from "ws";
import { connectWebSocket } from "./connect-websocket.js";
import type { FrameError, WebSocketChannel } from "./socket-channel.js";
import { closeOf, congest, nextFrame, openRawClient, recordingWebSocket, startTestServer } from "./test-fixtures/ws-server.js";
import { acceptWebSocket } from "./websocket-channel.js";

/** A client channel (connectWebSocket over ws) and the server channel that accepted it, with their raw sockets. */
async function openPair(options: { readonly pingIntervalMs?: number } = {}) {
  const server = await startTestServer();
  const { Constructor, instances } = recordingWebSocket();
  const accepted = server.nextConnection();
  const client = await connectWebSocket({ url: server.url, WebSocket: Constructor, peerId: "the-server" });
  const serverSocket = await accepted;
  const serverChannel = acceptWebSocket(serverSocket, { peerId: "the-client", pingIntervalMs: options.pingIntervalMs ?? 1500 });
  const clientSocket = instances[0] as WebSocket;
  return { server, client, serverChannel, clientSocket, serverSocket };
}

runChannelConformance("websocket: client (a) ↔ accepted (b)", async () => {
  const t = await openPair();
  return {
    a: t.client,
    b: t.serverChannel,
    congest: async () => congest(t.clientSocket, t.serverSocket),
    cleanup: () => t.server.close(),
  };
});

runChannelConformance("websocket: accepted (a) ↔ client (b)", async () => {
  const t = await openPair();
  return {
    a: t.serverChannel,
    b: t.client,
    congest: async () => congest(t.serverSocket, t.clientSocket),
    cleanup: () => t.server.close(),
  };
});

const done = (n: number): OutgoingMessage => ({ action: "done", id: `co_zDone${n}` as CoId });
const bigContent = (n: number, priority: 0 | 3 | 6, chars: number): OutgoingMessage =>
  ({ action: "content", id: `co_zBig${n}` as CoId, priority, new: {}, expectContentUntil: { pad: chars }, pad: "x".repeat(chars) }) as OutgoingMessage;

function collect(channel: WebSocketChannel, count: number): Promise<unknown[]> {
  return new Promise((resolve) => {
    const received: unknown[] = [];
    const unsubscribe = channel.onMessage((message) => {
      received.push(message);
      if (received.length === count) {
        unsubscribe();
        resolve(received);
      }
    });
  });
}

test("accepted channel: roles and flags default to a non-persistent client that accepts notices", async () => {
  await using server = await startTestServer();
  await using raw = await openRawClient(server.url);
  const channel = acceptWebSocket(await server.nextConnection(), { peerId: "p1" });
  expect([channel.peerId, channel.role, channel.persistent, channel.acceptsErrorNotices]).toEqual(["p1", "client", false, true]);
  channel.close();
  expect(await closeOf(raw)).toEqual({ code: 1000, reason: "closed" });
});

test("accepted channel: options are checked at the boundary, naming the argument", async () => {
  await using server = await startTestServer();
  await using _raw = await openRawClient(server.url);
  const socket = await server.nextConnection();
  expect(() => acceptWebSocket(socket, { peerId: "" })).toThrow(/peerId/);
  expect(() => acceptWebSocket(socket, { peerId: "p", maxFrameBytes: 0 })).toThrow(/maxFrameBytes/);
  expect(() => acceptWebSocket(socket, { peerId: "p", pingIntervalMs: -1 })).toThrow(/pingIntervalMs/);
  expect(() => acceptWebSocket({} as WebSocket, { peerId: "p" })).toThrow(/socket/);
});

test("accepted channel: a socket that closed before accept gives a closed channel", async () => {
  await using server = await startTestServer();
  const raw = await openRawClient(server.url);
  const socket = await server.nextConnection();
  const gone = new Promise((resolve) => socket.once("close", resolve));
  raw.terminate();
  await gone;
  const channel = acceptWebSocket(socket, { peerId: "late" });
  expect((await channel.closed).code).toBe(1006);
  expect(() => channel.send(done(1))).not.toThrow();
  expect(channel.stats.dropped).toBe(1);
});

test("accepted channel: messages sent in one tick leave as one frame, batches stay within 25,000 chars", async () => {
  await using server = await startTestServer();
  await using raw = await openRawClient(server.url);
  const channel = acceptWebSocket(await server.nextConnection(), { peerId: "p" });
  const first = nextFrame(raw);
  for (let i = 0; i < 50; i++) channel.send(done(i));
  const frame = await first;
  expect(frame.split("\n").map((line) => JSON.parse(line))).toEqual(Array.from({ length: 50 }, (_, i) => done(i)));
  expect(channel.stats).toMatchObject({ framesSent: 1, messagesSent: 50 });

  const frames: string[] = [];
  const all = new Promise<void>((resolve) => {
    raw.on("message", (data) => {
      frames.push(String(data));
      if (frames.join("\n").split("\n").length === 10) resolve();
    });
  });
  for (let i = 0; i < 10; i++) channel.send(bigContent(i, 3, 6_000));
  await all;
  expect(frames.map((f) => f.split("\n").length)).toEqual([4, 4, 2]);
  for (const f of frames) expect(f.length).toBeLessThanOrEqual(25_000);
  channel.close();
});

test("accepted channel: pings go out every pingIntervalMs in cojson's shape", async () => {
  await using server = await startTestServer();
  await using raw = await openRawClient(server.url);
  acceptWebSocket(await server.nextConnection(), { peerId: "p", pingIntervalMs: 20, now: () => 1_234 });
  expect(JSON.parse(await nextFrame(raw))).toEqual({ type: "ping", time: 1_234, dc: "unknown" });
  expect(JSON.parse(await nextFrame(raw))).toEqual({ type: "ping", time: 1_234, dc: "unknown" });
});

test("accepted channel: a bad line is refused with its index; the frame's other lines still count", async () => {
  await using server = await startTestServer();
  await using raw = await openRawClient(server.url);
  const errors: FrameError[] = [];
  const notices: unknown[] = [];
  const channel = acceptWebSocket(await server.nextConnection(), { peerId: "p", onProtocolError: (error) => errors.push(error) });
  channel.onNotice((notice) => notices.push(notice));
  const received = collect(channel, 3);
  const frame = [
    JSON.stringify(done(1)),
    "{not json",
    JSON.stringify({ type: "ping", time: 5 }),
    "42",
    JSON.stringify({ error: { code: "Gap", message: "from a peer" } }),
    JSON.stringify({ hello: "an unknown extension entry is ignored" }),
    JSON.stringify(done(2)),
    JSON.stringify({ action: "no-such-action", id: 1 }),
  ].join("\n");
  raw.send(frame);
  expect(await received).toEqual([done(1), done(2), { action: "no-such-action", id: 1 }]);
  expect(errors).toEqual([
    { type: "InvalidEntry", line: 1, message: expect.stringMatching(/^line 1 is not valid JSON/) },
    { type: "InvalidEntry", line: 3, message: "line 3 must be a JSON object, got a number" },
  ]);
  expect(notices).toEqual([{ error: { code: "Gap", message: "from a peer" } }]);
  expect(channel.stats).toMatchObject({ framesReceived: 1, messagesReceived: 3 });

  raw.send(Buffer.from(JSON.stringify(done(3))), { binary: true });
  raw.send(JSON.stringify(done(4)));
  expect(await collect(channel, 1)).toEqual([done(4)]);
  expect(errors[2]).toEqual({ type: "BinaryFrame", message: expect.stringContaining("binary") });
});

test("accepted channel: an oversize frame is refused and the socket closed with 1009", async () => {
  await using server = await startTestServer();
  await using raw = await openRawClient(server.url);
  const errors: FrameError[] = [];
  const channel = acceptWebSocket(await server.nextConnection(), { peerId: "p", maxFrameBytes: 1_000, onProtocolError: (error) => errors.push(error) });
  const delivered: unknown[] = [];
  channel.onMessage((message) => delivered.push(message));
  const rawClosed = closeOf(raw);
  raw.send(JSON.stringify(bigContent(1, 3, 600)));
  raw.send(JSON.stringify({ ...done(1), pad: "é".repeat(600) })); // 600 chars, 1,200 bytes
  expect(await rawClosed).toEqual({ code: 1009, reason: "frame exceeds 1000 bytes" });
  expect(await channel.closed).toEqual({ code: 1009, reason: "frame exceeds 1000 bytes" });
  expect(delivered).toHaveLength(1);
  expect(errors).toEqual([{ type: "FrameTooBig", bytes: expect.any(Number), limit: 1_000, message: expect.stringContaining("exceeds the limit") }]);
  expect((errors[0] as { bytes: number }).bytes).toBeGreaterThan(1_200);
});

test("accepted channel: back-pressure holds messages while the client does not read, then drains most urgent first", async () => {
  await using server = await startTestServer();
  await using raw = await openRawClient(server.url);
  const channel = acceptWebSocket(await server.nextConnection(), { peerId: "p", pingIntervalMs: 0 });
  raw.pause();
  // Low-priority bulk first: enough to fill the socket's buffers.
  for (let i = 0; i < 200; i++) channel.send(bigContent(i, 6, 50_000));
  await vi.waitFor(() => expect(channel.stats.messagesSent).toBeLessThan(200), { interval: 5 });
  const heldBack = 200 - channel.stats.messagesSent;
  expect(heldBack).toBeGreaterThan(0);
  // Urgent (priority 0) messages: loads. (`done` travels at priority 6 so it never overtakes its content.)
  for (let i = 0; i < 5; i++) channel.send({ action: "load", id: `co_zDone${i}` as CoId, header: false, sessions: {} });

  const order: string[] = [];
  const allArrived = new Promise<void>((resolve) => {
    raw.on("message", (data) => {
      for (const line of String(data).split("\n")) order.push((JSON.parse(line) as { id: string }).id);
      if (order.length === 205) resolve();
    });
  });
  raw.resume();
  await allArrived;
  // Everything sent before congestion arrives first, then the urgent ones overtake the held-back bulk.
  const firstDone = order.indexOf("co_zDone0");
  expect(order.slice(firstDone, firstDone + 5)).toEqual(["co_zDone0", "co_zDone1", "co_zDone2", "co_zDone3", "co_zDone4"]);
  expect(order.length - (firstDone + 5)).toBe(heldBack);
  channel.close();
});

test("channels: closing with a code browsers refuse still closes, and reports the code given", async () => {
  const t = await openPair();
  try {
    t.client.close({ code: 1011, reason: "x".repeat(400) });
    expect(await t.client.closed).toEqual({ code: 1011, reason: "x".repeat(400) });
    const remote = await t.serverChannel.closed;
    expect(remote.code).toBe(1011);
    expect(remote.reason.length).toBeLessThanOrEqual(123);
  } finally {
    await t.server.close();
  }
});

test("channels: a remote that goes away abruptly closes the channel with 1006", async () => {
  const t = await openPair();
  try {
    t.clientSocket.terminate();
    expect((await t.serverChannel.closed).code).toBe(1006);
    expect((await t.client.closed).code).toBe(1006);
  } finally {
    await t.server.close();
  }
});

test("channels: asyncDispose closes the channel and waits for it", async () => {
  const t = await openPair();
  try {
    {
      await using _channel = t.client;
    }
    expect(await t.serverChannel.closed).toEqual({ code: 1000, reason: "closed" });
  } finally {
    await t.server.close();
  }
});

test("channels: sending to a closed socket counts the drops", async () => {
  const t = await openPair();
  try {
    t.serverChannel.close();
    await t.client.closed;
    t.client.send(done(1));
    t.client.send(done(2));
    expect(t.client.stats.dropped).toBe(2);
    expect(t.clientSocket.readyState).toBe(WebSocket.CLOSED);
  } finally {
    await t.server.close();
  }
});

test("accepted channel: a client that stops reading is closed as a slow consumer once too much waits for it", async () => {
  await using server = await startTestServer();
  await using raw = await openRawClient(server.url);
  const channel = acceptWebSocket(await server.nextConnection(), { peerId: "p", pingIntervalMs: 0, maxQueuedBytes: 2_000_000 });
  raw.pause();
  for (let i = 0; i < 200 && channel.stats.dropped === 0; i++) channel.send(bigContent(i, 6, 50_000));
  const reason = await channel.closed;
  expect(reason.code).toBe(CloseCode.SlowConsumer);
  expect(channel.stats.dropped).toBeGreaterThan(0);
});
