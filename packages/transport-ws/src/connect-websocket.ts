import type { PeerRole } from "@cosync/core";
import { DEFAULT_MAX_FRAME_BYTES } from "./frame.js";
import { assertDelay, assertPositive, type FrameError, SocketChannel, type WebSocketChannel } from "./socket-channel.js";
import type { WebSocketConstructorLike, WebSocketEventMapLike, WebSocketLike } from "./web-socket-like.js";

/** Options of {@link connectWebSocket}. */
export interface ConnectWebSocketOptions {
  /** `ws://` or `wss://` URL of the sync server (any path; auth tokens go in the query, docs/protocol.md). */
  readonly url: string;
  /** WebSocket constructor. Default `globalThis.WebSocket`; Node 20 has none, pass `ws`'s `WebSocket`. */
  readonly WebSocket?: WebSocketConstructorLike;
  /** How the node knows the server. Default the URL (as cojson). */
  readonly peerId?: string;
  /** What the remote is to us. Default `"server"`. */
  readonly role?: PeerRole;
  /** Keep known states across reconnects. Default `true`. */
  readonly persistent?: boolean;
  /** Close with PingTimeout (4408) when nothing at all arrives for this long. Default 10,000 ms; 0 disables. */
  readonly pingTimeoutMs?: number;
  /** Give up connecting after this long. Default 10,000 ms. */
  readonly connectTimeoutMs?: number;
  /** Largest frame accepted; larger ones close the socket. Default 8 MiB. */
  readonly maxFrameBytes?: number;
  readonly onProtocolError?: (error: FrameError) => void;
  /** Aborting before the socket opens rejects the promise and closes the socket. */
  readonly signal?: AbortSignal;
  /** Clock for liveness. Default `Date.now`. */
  readonly now?: () => number;
}

/** Throws a TypeError naming `url` unless it is a ws:// or wss:// URL. */
export function assertWebSocketUrl(url: unknown): asserts url is string {
  if (typeof url !== "string" || !/^wss?:\/\/./i.test(url)) throw new TypeError(`url: expected a ws:// or wss:// URL, got ${String(url)}`);
}

/** Connecting to a sync server failed (refused, closed before open, timed out or aborted). */
export class ConnectionError extends Error {
  override readonly name = "ConnectionError";
  readonly url: string;

  constructor(message: string, options: { readonly url: string; readonly cause?: unknown }) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.url = options.url;
  }
}

/**
 * Opens a WebSocket to a sync server and resolves with a {@link WebSocketChannel} once it is open;
 * rejects with a {@link ConnectionError} if it cannot connect. Works in browsers and Node (no
 * node:* imports). The channel closes itself when the server goes silent for `pingTimeoutMs`
 * (servers ping every 1.5 s); reconnecting is {@link createReconnectingConnection}'s job.
 */
export function connectWebSocket(options: ConnectWebSocketOptions): Promise<WebSocketChannel> {
  const { url, role = "server", persistent = true, pingTimeoutMs = 10_000, connectTimeoutMs = 10_000 } = options;
  assertWebSocketUrl(url);
  const Constructor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket;
  if (typeof Constructor !== "function") {
    throw new TypeError("WebSocket: this runtime has no global WebSocket (Node 20); pass `WebSocket` from the ws package");
  }
  // Credentials in the query (auth tokens) stay out of peer ids and error messages, which get logged.
  const shown = withoutCredentials(url);
  const peerId = options.peerId ?? shown;
  if (typeof peerId !== "string" || peerId === "") throw new TypeError("peerId: expected a non-empty string");
  assertDelay(pingTimeoutMs, "pingTimeoutMs", { allowZero: true });
  assertDelay(connectTimeoutMs, "connectTimeoutMs");
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  assertPositive(maxFrameBytes, "maxFrameBytes");
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(new ConnectionError(`connecting to ${shown} was aborted`, { url: shown, cause: signal.reason }));

  return new Promise((resolve, reject) => {
    const socket: WebSocketLike = new Constructor(url);
    let errorDetail: unknown;
    const timer = setTimeout(() => fail(`could not connect to ${shown} within ${connectTimeoutMs} ms`), connectTimeoutMs);

    function cleanUp(): void {
      clearTimeout(timer);
      // The error listener stays: ws throws on an 'error' event nobody listens to.
      socket.removeEventListener("open", onOpen);
      socket.removeEventListener("close", onClose);
      signal?.removeEventListener("abort", onAbort);
    }
    function fail(message: string, cause: unknown = errorDetail): void {
      cleanUp();
      socket.close();
      reject(new ConnectionError(message, { url: shown, cause }));
    }
    function onOpen(): void {
      cleanUp();
      resolve(
        new SocketChannel({
          socket,
          peerId,
          role,
          persistent,
          maxFrameBytes,
          livenessTimeoutMs: pingTimeoutMs,
          writeCallbacks: false,
          onProtocolError: options.onProtocolError,
          now: options.now ?? Date.now,
        }),
      );
    }
    function onError(event: unknown): void {
      // Browsers give no detail; ws puts the cause (ECONNREFUSED, HTTP status) on the event.
      errorDetail = (event as { error?: unknown } | undefined)?.error ?? event;
    }
    function onClose(event: WebSocketEventMapLike["close"]): void {
      const detail = errorDetail instanceof Error ? `: ${errorDetail.message}` : "";
      fail(`could not connect to ${shown} (closed with ${event.code}${event.reason ? ` ${event.reason}` : ""})${detail}`);
    }
    function onAbort(): void {
      fail(`connecting to ${shown} was aborted`, signal?.reason);
    }
    // Node's ws shows a refused upgrade's response (a server's "why": an invalid token, a ban);
    // browsers never do. Read its reason, bounded, and fail with it.
    (socket as Partial<NodeWebSocket>).once?.("unexpected-response", (_request, response) => {
      let body = "";
      let told = false;
      const tell = () => {
        if (told) return;
        told = true;
        fail(`${shown} refused the connection with HTTP ${response.statusCode}: ${refusalReason(body)}`);
      };
      response.on("data", (chunk: { toString(): string }) => {
        body = (body + chunk.toString()).slice(0, MAX_REFUSAL_BYTES);
        // A server streaming an endless body must not hold the connect: enough has been said.
        if (body.length >= MAX_REFUSAL_BYTES) tell();
      });
      response.on("end", tell);
      response.on("error", () => fail(`${shown} refused the connection with HTTP ${response.statusCode}`));
    });
    socket.addEventListener("open", onOpen);
    socket.addEventListener("error", onError);
    socket.addEventListener("close", onClose);
    signal?.addEventListener("abort", onAbort);
  });
}

/** The bits of ws's Node WebSocket used to read a refused upgrade's response. */
interface NodeWebSocket {
  once(
    event: "unexpected-response",
    listener: (request: unknown, response: { statusCode?: number; on(event: string, listener: (chunk: { toString(): string }) => void): void }) => void,
  ): void;
}

const MAX_REFUSAL_BYTES = 4096;

/** A server's JSON `{ "error": … }` reason (at most 500 characters), or the body's start. */
function refusalReason(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === "string") return parsed.error.slice(0, 500);
  } catch {
    // not JSON: shown as it is
  }
  return body.slice(0, 200) || "(no reason given)";
}

/** `url` with the values of its `auth` and `signup` query parameters hidden. */
export function withoutCredentials(url: string): string {
  if (!/[?&](auth|signup)=/.test(url)) return url;
  const parsed = new URL(url);
  for (const name of ["auth", "signup"]) if (parsed.searchParams.has(name)) parsed.searchParams.set(name, "***");
  return parsed.toString();
}
