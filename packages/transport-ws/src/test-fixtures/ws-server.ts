// Test fixture (not exported): a real `ws` server on 127.0.0.1, port 0 unless given (STYLE §5.9).
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { WebSocket, WebSocketServer } from "ws";

export interface TestServer extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly wss: WebSocketServer;
  /** The next accepted socket (already accepted ones first, in order). */
  nextConnection(): Promise<WebSocket>;
  /** Terminates every connection, then stops listening. Idempotent. */
  close(): Promise<void>;
}

export async function startTestServer(port = 0): Promise<TestServer> {
  const wss = new WebSocketServer({ port, host: "127.0.0.1" });
  await new Promise<void>((resolve, reject) => {
    wss.once("listening", resolve);
    wss.once("error", reject);
  });
  const accepted: WebSocket[] = [];
  const waiters: Array<(socket: WebSocket) => void> = [];
  wss.on("connection", (socket) => {
    const waiter = waiters.shift();
    if (waiter) waiter(socket);
    else accepted.push(socket);
  });
  const actualPort = (wss.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close(() => resolve());
    });
    return closing;
  };
  return {
    url: `ws://127.0.0.1:${actualPort}`,
    port: actualPort,
    wss,
    nextConnection: () => {
      const socket = accepted.shift();
      return socket ? Promise.resolve(socket) : new Promise((resolve) => waiters.push(resolve));
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A raw `ws` client, resolved once open. */
export async function openRawClient(url: string): Promise<WebSocket & AsyncDisposable> {
  const socket = new WebSocket(url) as WebSocket & AsyncDisposable;
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  socket[Symbol.asyncDispose] = async () => {
    if (socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((resolve) => socket.once("close", resolve));
    socket.terminate();
    await closed;
  };
  return socket;
}

/** Resolves with the next frame a raw socket receives, as text. */
export function nextFrame(socket: WebSocket): Promise<string> {
  return new Promise((resolve) => socket.once("message", (data) => resolve(String(data))));
}

/** Resolves with a raw socket's close code and reason. */
export function closeOf(socket: WebSocket): Promise<{ code: number; reason: string }> {
  if (socket.readyState === WebSocket.CLOSED) throw new Error("socket already closed");
  return new Promise((resolve) => socket.once("close", (code, reason) => resolve({ code, reason: String(reason) })));
}

/** A TCP server that accepts connections and never answers: connecting to it hangs. */
export async function startSilentTcpServer(): Promise<{ url: string } & AsyncDisposable> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * A `WebSocket` (ws) subclass that records every instance, so a test can reach the raw socket
 * under a channel made by `connectWebSocket`.
 */
export function recordingWebSocket(): { readonly Constructor: typeof WebSocket; readonly instances: WebSocket[] } {
  const instances: WebSocket[] = [];
  class RecordingWebSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      instances.push(this);
    }
  }
  return { Constructor: RecordingWebSocket as typeof WebSocket, instances };
}

/**
 * Congests the link from `sender` to `receiver` for real: the receiver stops reading and the
 * sender gets filler pings (channels consume pings silently) until its buffer is over the
 * channels' 100,000-byte limit. Returns the release.
 */
export function congest(sender: WebSocket, receiver: WebSocket): () => void {
  receiver.pause();
  const filler = JSON.stringify({ type: "ping", time: 0, dc: "x".repeat(64 * 1024) });
  for (let i = 0; sender.bufferedAmount <= 200_000; i++) {
    if (i > 10_000) throw new Error("could not congest the socket");
    sender.send(filler);
  }
  return () => receiver.resume();
}
