import type { ErrorNotice, SyncMessage } from "../protocol/messages.js";

/** What the remote side is to us: a server we sync up to, or a client we serve. */
export type PeerRole = "server" | "client";

/** Why a channel closed. */
export interface CloseReason {
  readonly code: number;
  readonly reason: string;
}

/** What a node sends: sync messages, and (to peers that accept them) cosync's error notices. */
export type OutgoingMessage = SyncMessage | ErrorNotice;

/**
 * A link to one peer that the sync manager can drive without knowing what carries it (a
 * WebSocket, an in-process pair, a cojson Peer). Implementations must pass
 * `runChannelConformance` from `@cosync/testing`. Contract:
 * - `send` never throws and never blocks; when the link is congested, queued messages leave in
 *   priority order (0 before 3 before 6; messages without a priority count as 0), FIFO within a
 *   priority. After close, sent messages are dropped (and counted by the implementation).
 * - Incoming messages are delivered in order, as untrusted parsed JSON values: the receiver
 *   validates them. Listeners are called asynchronously, never from inside `send`.
 * - `closed` settles exactly once, when either side closes; it never rejects.
 */
export interface PeerChannel {
  readonly peerId: string;
  readonly role: PeerRole;
  /** Persistent peers keep their confirmed known states across reconnects under the same id. */
  readonly persistent: boolean;
  /** Whether the peer tolerates cosync's extension entries (error notices). */
  readonly acceptsErrorNotices: boolean;
  send(message: OutgoingMessage): void;
  onMessage(listener: (message: unknown) => void): () => void;
  readonly closed: Promise<CloseReason>;
  close(reason?: CloseReason): void;
  /**
   * Optional back-pressure: stop reading from the peer (a socket stops reading, so its sender
   * blocks on TCP) until `resume`. Messages already received are still delivered.
   */
  pause?(): void;
  resume?(): void;
  /** Optional: the peer's error notices (cosync's refusals), which never reach `onMessage`. */
  onNotice?(listener: (notice: unknown) => void): () => void;
}

/** Priority of an outgoing message for queueing: content carries its own, others count as 0. */
export function priorityOfMessage(message: OutgoingMessage): 0 | 3 | 6 {
  if ("action" in message && message.action === "content") return message.priority;
  if ("action" in message && message.action === "reconcile") return 6;
  // `done` must not overtake the content it closes, whatever that content's priority.
  if ("action" in message && message.action === "done") return 6;
  return 0;
}
