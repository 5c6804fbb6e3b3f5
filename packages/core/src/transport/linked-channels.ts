import { CloseCode } from "../protocol/close-codes.js";
import { PriorityQueue } from "../sync/priority-queue.js";
import { type CloseReason, type OutgoingMessage, type PeerChannel, type PeerRole, priorityOfMessage } from "./peer-channel.js";

/** Options of {@link createLinkedChannels}. */
export interface LinkedChannelsOptions {
  /** Peer id of side `a` (what `b`'s channel reports as `peerId`). */
  readonly aId: string;
  /** Peer id of side `b` (what `a`'s channel reports as `peerId`). */
  readonly bId: string;
  /** What `a` is to `b` (the `role` of `b`'s channel). Default `"client"`. */
  readonly aRole?: PeerRole;
  /** What `b` is to `a` (the `role` of `a`'s channel). Default `"server"`. */
  readonly bRole?: PeerRole;
  /** `persistent` of both channels. Default: a channel to a server is persistent, to a client not (as in cojson). */
  readonly persistent?: boolean;
  /** `acceptsErrorNotices` of both channels. Default `true`: both ends are cosync nodes. */
  readonly acceptsErrorNotices?: boolean;
  /**
   * Messages delivered per direction per flush (one microtask). Default: unlimited. With a small
   * capacity the link stays congested across ticks, so messages sent later at a higher priority
   * overtake queued lower-priority ones, as on a slow socket.
   */
  readonly capacity?: number;
  /**
   * Copy each message through JSON, as a wire would (default true): the receiver never shares
   * objects with the sender, and a non-JSON value fails at the sender. `false` hands the objects
   * over as they are, like cojson's in-process `connectedPeers` — for benchmarks that compare
   * against it; both ends must then treat messages as immutable (cosync's sync code does).
   */
  readonly copy?: boolean;
}

/** One end of an in-memory link: a {@link PeerChannel} plus the controls a test needs. */
export interface LinkedChannel extends PeerChannel {
  /** Subscribes to cosync error notices the other end sent; they never reach `onMessage`. */
  onNotice(listener: (notice: unknown) => void): () => void;
  /**
   * Holds this end's outgoing messages, as a congested link would, until the returned release
   * function is called (releasing twice is harmless). Holds nest. Closing releases them.
   */
  hold(): () => void;
  /** Messages sent on this end that were never delivered (sent after close, or cut off by it). */
  readonly dropped: number;
}

/**
 * An in-memory pair of channels: `[a's channel to b, b's channel to a]`.
 *
 * Real enough to run `runChannelConformance` and the sync manager over, and IO-free:
 * - Every message is copied through JSON at `send` (as a wire would), so sender and receiver never
 *   share objects and a non-JSON value fails at the sender.
 * - Delivery is asynchronous: what is sent during one synchronous run is queued and delivered in
 *   one flush on a microtask, **in priority order** (0, 3, 6; FIFO within a priority), so a burst
 *   behaves like the same burst on a congested socket. `capacity` limits messages per flush.
 * - Error notices (outgoing entries without `action`) go to the other end's `onNotice`.
 * - Messages arriving before the first `onMessage` listener are kept for it (like cojson's
 *   ConnectedPeerChannel); notices with no listener are dropped.
 * - Closing one end settles its `closed` at once with the given reason; what it had queued is
 *   still delivered, then the other end's `closed` settles with the same reason. Whatever the
 *   other end had queued toward the closed end is dropped.
 */
export function createLinkedChannels(options: LinkedChannelsOptions): [LinkedChannel, LinkedChannel] {
  const { aId, bId, aRole = "client", bRole = "server", capacity = Number.POSITIVE_INFINITY } = options;
  if (typeof aId !== "string" || typeof bId !== "string") throw new TypeError("aId, bId: expected strings");
  if (!(capacity >= 1)) throw new RangeError(`capacity: expected at least 1, got ${String(capacity)}`);
  const notices = options.acceptsErrorNotices ?? true;
  const copy = options.copy ?? true;
  const a = new LinkEnd({ peerId: bId, role: bRole, persistent: options.persistent ?? bRole === "server", notices, capacity, copy });
  const b = new LinkEnd({ peerId: aId, role: aRole, persistent: options.persistent ?? aRole === "server", notices, capacity, copy });
  a.connect(b);
  b.connect(a);
  return [a, b];
}

interface LinkEndOptions {
  readonly peerId: string;
  readonly role: PeerRole;
  readonly persistent: boolean;
  readonly notices: boolean;
  readonly capacity: number;
  readonly copy: boolean;
}

interface Queued {
  /** The message as JSON text (copying), or the object itself (not copying). */
  readonly payload: string | object;
  readonly notice: boolean;
}

const defaultCloseReason: CloseReason = { code: CloseCode.Normal, reason: "closed" };

class LinkEnd implements LinkedChannel {
  readonly peerId: string;
  readonly role: PeerRole;
  readonly persistent: boolean;
  readonly acceptsErrorNotices: boolean;
  readonly closed: Promise<CloseReason>;

  readonly #capacity: number;
  readonly #copy: boolean;
  readonly #outbox = new PriorityQueue<Queued>();
  readonly #messageListeners = new Set<(message: unknown) => void>();
  readonly #noticeListeners = new Set<(notice: unknown) => void>();
  #earlyMessages: unknown[] | undefined = [];
  #remote: LinkEnd | undefined;
  #settle: (reason: CloseReason) => void = () => {};
  #closeReason: CloseReason | undefined;
  /** Set when this end closed itself: the remote closes once the outbox has drained. */
  #closingRemote = false;
  #earlyDrainScheduled = false;
  #flushScheduled = false;
  #holds = 0;
  #dropped = 0;

  constructor(options: LinkEndOptions) {
    this.peerId = options.peerId;
    this.role = options.role;
    this.persistent = options.persistent;
    this.acceptsErrorNotices = options.notices;
    this.#capacity = options.capacity;
    this.#copy = options.copy;
    this.closed = new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  get dropped(): number {
    return this.#dropped;
  }

  connect(remote: LinkEnd): void {
    this.#remote = remote;
  }

  send(message: OutgoingMessage): void {
    if (this.#closeReason !== undefined) {
      this.#dropped += 1;
      return;
    }
    const payload = this.#copy ? JSON.stringify(message) : message;
    this.#outbox.push({ payload, notice: !("action" in message) }, priorityOfMessage(message));
    this.#scheduleFlush();
  }

  onMessage(listener: (message: unknown) => void): () => void {
    this.#messageListeners.add(listener);
    if (this.#earlyMessages !== undefined && !this.#earlyDrainScheduled) {
      // Keep buffering until the drain runs, so early and later messages stay in order.
      this.#earlyDrainScheduled = true;
      queueMicrotask(() => {
        const early = this.#earlyMessages ?? [];
        this.#earlyMessages = undefined;
        this.#deliverAll(early);
      });
    }
    return () => {
      this.#messageListeners.delete(listener);
    };
  }

  onNotice(listener: (notice: unknown) => void): () => void {
    this.#noticeListeners.add(listener);
    return () => {
      this.#noticeListeners.delete(listener);
    };
  }

  hold(): () => void {
    if (this.#closeReason !== undefined) return () => {};
    this.#holds += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (this.#holds === 0) return; // closing released every hold
      this.#holds -= 1;
      if (this.#holds === 0) this.#scheduleFlush();
    };
  }

  close(reason: CloseReason = defaultCloseReason): void {
    if (this.#closeReason !== undefined) return;
    this.#closeReason = { code: reason.code, reason: reason.reason };
    this.#settle(this.#closeReason);
    this.#messageListeners.clear();
    this.#noticeListeners.clear();
    if (this.#remote !== undefined) this.#remote.#dropOutbox();
    this.#closingRemote = true;
    this.#holds = 0;
    this.#scheduleFlush();
  }

  #closeFromRemote(reason: CloseReason): void {
    if (this.#closeReason !== undefined) return;
    this.#closeReason = reason;
    this.#dropOutbox();
    this.#messageListeners.clear();
    this.#noticeListeners.clear();
    this.#settle(reason);
  }

  #dropOutbox(): void {
    this.#dropped += this.#outbox.clear();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    const remote = this.#remote;
    if (remote === undefined || this.#holds > 0) return;
    if (remote.#closeReason !== undefined) {
      this.#dropOutbox();
      return;
    }
    for (let budget = this.#capacity; budget > 0; budget--) {
      const entry = this.#outbox.shift();
      if (entry === undefined) break;
      remote.#receive(entry);
      if (remote.#closeReason !== undefined) {
        this.#dropOutbox();
        return;
      }
    }
    if (this.#outbox.size > 0) this.#scheduleFlush();
    else if (this.#closingRemote && this.#closeReason !== undefined) remote.#closeFromRemote(this.#closeReason);
  }

  #receive(entry: Queued): void {
    const value: unknown = typeof entry.payload === "string" ? JSON.parse(entry.payload) : entry.payload;
    if (entry.notice) {
      for (const listener of [...this.#noticeListeners]) callListener(listener, value);
      return;
    }
    if (this.#earlyMessages !== undefined) {
      this.#earlyMessages.push(value);
      return;
    }
    this.#deliver(value);
  }

  #deliverAll(messages: readonly unknown[]): void {
    for (const message of messages) {
      if (this.#closeReason !== undefined) return;
      this.#deliver(message);
    }
  }

  #deliver(message: unknown): void {
    for (const listener of [...this.#messageListeners]) {
      if (!this.#messageListeners.has(listener)) continue;
      callListener(listener, message);
    }
  }
}

/** Calls a listener; a throwing listener is a bug reported asynchronously, not a reason to stop delivery. */
function callListener(listener: (value: unknown) => void, value: unknown): void {
  try {
    listener(value);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
