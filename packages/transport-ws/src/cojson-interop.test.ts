// Interop with the real cojson-transport-ws 0.20.19 (the oracle): its client against our
// accepted channel, and our client against its server-side peer, over real sockets.
import type { CoId, OutgoingMessage, SessionId } from "@cosync/core";
import { LogLevel, logger, type Peer, type SyncMessage } from "cojson";
import { createWebSocketPeer } from "cojson-transport-ws";
import { afterEach, beforeEach, expect, test } from "vitest";
import { WebSocket } from "ws";
import { connectWebSocket } from "./connect-websocket.js";
import type { FrameError, WebSocketChannel } from "./socket-channel.js";
import { startTestServer } from "./test-fixtures/ws-server.js";
import { acceptWebSocket } from "./websocket-channel.js";

// cojson logs through a module-level logger: record what it says during each test, then restore.
const logged: Array<{ readonly level: string; readonly message: string }> = [];
let restoreLogger: () => void = () => {};
beforeEach(() => {
  const cojsonLogger = logger as unknown as { logSystem: unknown; level: number };
  const previous = { logSystem: cojsonLogger.logSystem, level: cojsonLogger.level };
  const record = (level: string) => (message: string) => logged.push({ level, message });
  logger.setLogSystem({ debug: () => {}, info: () => {}, warn: record("warn"), error: record("error") });
  logger.setLevel(LogLevel.WARN);
  logged.length = 0;
  restoreLogger = () => {
    cojsonLogger.logSystem = previous.logSystem;
    cojsonLogger.level = previous.level;
  };
});
afterEach(() => restoreLogger());

const session = "co_zInterop_session_zS1" as SessionId;
const load = (n: number): OutgoingMessage => ({ action: "load", id: `co_zLoad${n}` as CoId, header: false, sessions: { [session]: n } });
const content = (n: number, pad = 0): OutgoingMessage => ({
  action: "content",
  id: `co_zContent${n}` as CoId,
  priority: 3,
  new: { [session]: { after: 0, newTransactions: [{ privacy: "trusting", madeAt: n, changes: JSON.stringify(["x".repeat(pad)]) }], lastSignature: "signature_zS" } },
} as OutgoingMessage);
const notice: OutgoingMessage = { error: { code: "InvalidSignature", message: "session 1 does not verify", id: "co_zLoad1", session } };

/** Messages a cojson peer receives, resolved `count` at a time. */
function cojsonInbox(peer: Peer) {
  const received: unknown[] = [];
  const waiters: Array<{ readonly count: number; readonly resolve: (messages: unknown[]) => void }> = [];
  peer.incoming.onMessage((message) => {
    received.push(message);
    for (const waiter of [...waiters]) {
      if (received.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(received.slice(0, waiter.count));
      }
    }
  });
  return {
    received,
    first: (count: number) =>
      new Promise<unknown[]>((resolve) => (received.length >= count ? resolve(received.slice(0, count)) : waiters.push({ count, resolve }))),
  };
}

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

test("cojson client ↔ our accepted channel: messages both ways, pings parsed by cojson, notices ignored silently", async () => {
  await using server = await startTestServer();
  const socket = new WebSocket(server.url);
  const pings: Array<{ serverTime: number }> = [];
  let pinged: () => void = () => {};
  const twoPings = new Promise<void>((resolve) => {
    pinged = resolve;
  });
  const peer = createWebSocketPeer({
    id: "cosync-server",
    role: "server",
    websocket: socket,
    onPingReceived: (sample) => {
      pings.push(sample);
      if (pings.length === 2) pinged();
    },
  });
  const inbox = cojsonInbox(peer);
  // Pushed before the socket opens: cojson queues them and sends them joined in one frame.
  peer.outgoing.push(load(1) as SyncMessage);
  peer.outgoing.push(load(2) as SyncMessage);

  const errors: FrameError[] = [];
  const channel = acceptWebSocket(await server.nextConnection(), { peerId: "cojson-client", pingIntervalMs: 20, onProtocolError: (e) => errors.push(e) });
  expect(await collect(channel, 2)).toEqual([load(1), load(2)]);

  // After open, cojson's fast path sends each message alone.
  const more = collect(channel, 2);
  peer.outgoing.push(content(3) as SyncMessage);
  peer.outgoing.push(load(4) as SyncMessage);
  expect(await more).toEqual([content(3), load(4)]);

  // Ours to cojson: one coalesced frame holding a notice among messages, then one larger than a batch.
  channel.send(content(1));
  channel.send(notice);
  channel.send(load(2));
  channel.send(content(3, 60_000));
  expect(await inbox.first(3)).toEqual([load(2), content(1), content(3, 60_000)]); // priority order within the tick

  await twoPings;
  expect(pings[0]?.serverTime).toBeGreaterThan(1_600_000_000_000);
  expect(errors).toEqual([]);
  expect(logged).toEqual([]);

  channel.close();
  expect(await inbox.first(4)).toContain("Disconnected");
});

test("cojson client: our channel closing or the client closing are both seen by the other side", async () => {
  await using server = await startTestServer();
  const socket = new WebSocket(server.url);
  let cojsonClosed: () => void = () => {};
  const closedAtCojson = new Promise<void>((resolve) => {
    cojsonClosed = resolve;
  });
  const peer = createWebSocketPeer({ id: "cosync-server", role: "server", websocket: socket, onClose: () => cojsonClosed() });
  const channel = acceptWebSocket(await server.nextConnection(), { peerId: "cojson-client", pingIntervalMs: 0 });
  const opened = new Promise((resolve) => socket.once("open", resolve));
  await opened;
  peer.outgoing.close();
  expect((await channel.closed).code).toBe(1005); // cojson closes without a code
  await closedAtCojson;
});

test("our client ↔ cojson server-side peer: messages both ways, coalesced frames split by cojson, notices ignored silently", async () => {
  await using server = await startTestServer();
  const peers: Peer[] = [];
  server.wss.on("connection", (socket) => {
    peers.push(createWebSocketPeer({ id: "cosync-client", role: "client", expectPings: false, batchingByDefault: false, websocket: socket }));
  });
  const errors: FrameError[] = [];
  await using client = await connectWebSocket({ url: server.url, WebSocket, onProtocolError: (e) => errors.push(e) });
  await server.nextConnection();
  const peer = peers[0] as Peer;
  const inbox = cojsonInbox(peer);

  client.send(load(1));
  client.send(notice);
  client.send(content(2));
  client.send(load(3));
  expect(await inbox.first(3)).toEqual([load(1), load(3), content(2)]); // one frame, in priority order
  expect(client.stats.framesSent).toBe(1);

  client.send(content(4, 30_000));
  client.send(content(5));
  expect((await inbox.first(5)).slice(3)).toEqual([content(4, 30_000), content(5)]);

  // cojson flipped to batching after our multi-message frame; whichever way it frames, we split it.
  const atClient = collect(client, 3);
  peer.outgoing.push(load(6) as SyncMessage);
  peer.outgoing.push(content(7) as SyncMessage);
  peer.outgoing.push(load(8) as SyncMessage);
  expect(await atClient).toEqual([load(6), content(7), load(8)]);

  expect(errors).toEqual([]);
  expect(logged).toEqual([]);

  client.close();
  expect(await inbox.first(6)).toContain("Disconnected");
});
