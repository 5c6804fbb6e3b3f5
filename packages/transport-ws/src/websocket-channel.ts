import type { PeerRole } from "@cosync/core";
import { DEFAULT_MAX_FRAME_BYTES } from "./frame.js";
import { assertDelay, assertPositive, DEFAULT_MAX_QUEUED_BYTES, type FrameError, SocketChannel, type WebSocketChannel } from "./socket-channel.js";
import type { ServerWebSocketLike } from "./web-socket-like.js";

/** Options of {@link acceptWebSocket}. */
export interface AcceptWebSocketOptions {
  /** How the node knows this peer (cojson's server uses `"<ip>@<ISO time>"`). */
  readonly peerId: string;
  /** What the remote is to us. Default `"client"`. */
  readonly role?: PeerRole;
  /** Keep the peer's known states after close. Default `false` (cojson servers drop them). */
  readonly persistent?: boolean;
  /** Largest frame accepted; larger ones close the socket with 1009. Default 8 MiB. */
  readonly maxFrameBytes?: number;
  /**
   * Most bytes that may wait for this peer (queued + the socket's buffer); a peer that stops
   * reading is closed with SlowConsumer (4413) instead of growing the server's memory. Default 64 MiB.
   */
  readonly maxQueuedBytes?: number;
  /** Ping period. Default 1500 ms, like jazz-run; cojson clients give up after 10 s of silence. 0 disables. */
  readonly pingIntervalMs?: number;
  /** The `dc` field of pings. Default `"unknown"`. */
  readonly dc?: string;
  /** Called for each refused frame or line (the socket stays open unless the error says so). */
  readonly onProtocolError?: (error: FrameError) => void;
  /** Wall clock for ping times. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Wraps a socket a server accepted (`ws`'s `WebSocket` from the `connection` event) as a
 * {@link WebSocketChannel} the sync manager can drive: it pings every 1.5 s, batches and
 * back-pressures outgoing messages, and accepts error notices (cojson clients drop those entries
 * silently, docs/protocol.md). The caller keeps the socket's server; closing the channel closes the socket.
 *
 * A socket that is already closing or closed gives a channel that is already closed (1006).
 */
export function acceptWebSocket(socket: ServerWebSocketLike, options: AcceptWebSocketOptions): WebSocketChannel {
  if (socket === null || typeof socket !== "object" || typeof socket.send !== "function") {
    throw new TypeError("socket: expected a WebSocket (ws) accepted by a server");
  }
  const { peerId, role = "client", persistent = false, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES, pingIntervalMs = 1500 } = options;
  if (typeof peerId !== "string" || peerId === "") throw new TypeError("peerId: expected a non-empty string");
  assertPositive(maxFrameBytes, "maxFrameBytes");
  assertDelay(pingIntervalMs, "pingIntervalMs", { allowZero: true });
  const maxQueuedBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
  assertPositive(maxQueuedBytes, "maxQueuedBytes");
  return new SocketChannel({
    maxQueuedBytes,
    socket,
    peerId,
    role,
    persistent,
    maxFrameBytes,
    pingIntervalMs,
    dc: options.dc ?? "unknown",
    writeCallbacks: true,
    onProtocolError: options.onProtocolError,
    now: options.now ?? Date.now,
  });
}
