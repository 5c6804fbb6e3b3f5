import type { CloseReason, OutgoingMessage, PeerChannel, PeerRole } from "../transport/peer-channel.js";

/** One direction of the seed's (and cojson's) peer shape. */
export interface SeedPeerStream {
  onMessage?(listener: (message: unknown) => void): void;
  push?(message: unknown): void;
  close(): void;
  onClose?(listener: () => void): void;
}

/**
 * The seed's peer shape, which is also cojson's in-process `Peer`:
 * `{ id, role, persistent?, incoming, outgoing }` carrying plain message objects.
 */
export interface SeedPeer {
  readonly id: string;
  readonly role: PeerRole;
  readonly persistent?: boolean;
  readonly incoming: SeedPeerStream;
  readonly outgoing: SeedPeerStream;
}

export function isPeerChannel(value: PeerChannel | SeedPeer): value is PeerChannel {
  return typeof (value as PeerChannel).send === "function";
}

/**
 * Wraps a seed/cojson peer as a PeerChannel. Such peers may be real cojson nodes in process, which
 * would throw on cosync's error notices, so those are not sent (`acceptsErrorNotices: false`).
 * Outgoing messages are copied through JSON so the other side never shares our objects.
 */
export function channelFromSeedPeer(peer: SeedPeer): PeerChannel {
  const listeners = new Set<(message: unknown) => void>();
  let settle: (reason: CloseReason) => void = () => {};
  const closed = new Promise<CloseReason>((resolve) => {
    settle = resolve;
  });
  let isClosed = false;
  const finish = (reason: CloseReason) => {
    if (isClosed) return;
    isClosed = true;
    settle(reason);
  };
  peer.incoming.onMessage?.((message) => {
    if (message === "Disconnected") return finish({ code: 1000, reason: "peer disconnected" });
    queueMicrotask(() => {
      for (const listener of listeners) listener(message);
    });
  });
  peer.incoming.onClose?.(() => finish({ code: 1000, reason: "incoming closed" }));
  peer.outgoing.onClose?.(() => finish({ code: 1000, reason: "outgoing closed" }));
  return {
    peerId: peer.id,
    role: peer.role,
    persistent: peer.persistent ?? false,
    acceptsErrorNotices: false,
    send(message: OutgoingMessage) {
      if (isClosed || !("action" in message)) return;
      peer.outgoing.push?.(JSON.parse(JSON.stringify(message)));
    },
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    closed,
    close(reason = { code: 1000, reason: "closed" }) {
      if (isClosed) return;
      peer.outgoing.close();
      peer.incoming.close();
      finish(reason);
    },
  };
}
