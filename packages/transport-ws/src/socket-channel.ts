import { type CloseReason, CloseCode, encodeSyncMessage, type OutgoingMessage, type PeerChannel, type PeerRole, PriorityQueue, priorityOfMessage } from "@cosync/core";
import { decodeFrame, encodePing, FRAME_BATCH_CHARS, utf8Length } from "./frame.js";
import { OPEN, type WebSocketEventMapLike, type WebSocketLike } from "./web-socket-like.js";

/** cojson's `BUFFER_LIMIT`: above this many buffered bytes, outgoing messages wait in the queue. */
export const BUFFER_LIMIT_BYTES = 100_000;

/** How often a congested socket without write callbacks (browsers) is checked for room. */
const DRAIN_POLL_MS = 10;

/** A frame the channel refused, as reported to `onProtocolError`. The channel stays open unless said. */
export type FrameError =
  | { readonly type: "InvalidEntry"; readonly line: number; readonly message: string }
  | { readonly type: "BinaryFrame"; readonly message: string }
  /** The socket was closed with 1009 (MessageTooBig). */
  | { readonly type: "FrameTooBig"; readonly bytes: number; readonly limit: number; readonly message: string };

/** A ping the server sent (clients never ping). */
export interface ReceivedPing {
  readonly time: number | undefined;
  readonly dc: string | undefined;
}

/** Counters of one channel, for metrics and tests. */
export interface ChannelStats {
  readonly framesSent: number;
  readonly messagesSent: number;
  readonly framesReceived: number;
  readonly messagesReceived: number;
  /** Messages sent after close, or still queued when the channel closed. */
  readonly dropped: number;
}

/**
 * A {@link PeerChannel} over a WebSocket, speaking cojson's framing (docs/protocol.md#framing).
 *
 * Outgoing: messages sent during one synchronous run are queued in priority order and leave in
 * one microtask flush, coalesced into frames of up to 25,000 characters (one write per frame,
 * which is what a WebSocket send costs, measured on our 2-core machines). While the socket buffers more than 100,000
 * bytes, messages wait in the queue and later urgent ones overtake them. `close` writes what is
 * queued, then closes the socket.
 *
 * Incoming: sync messages go to `onMessage` listeners (kept until the first one subscribes),
 * pings to `onPing`, error notices to `onNotice`; bad lines are refused one by one and reported
 * to `onProtocolError`, the other lines of the frame still count.
 */
export interface WebSocketChannel extends PeerChannel, AsyncDisposable {
  onNotice(listener: (notice: unknown) => void): () => void;
  onPing(listener: (ping: ReceivedPing) => void): () => void;
  readonly stats: ChannelStats;
  /** Messages waiting to be sent, per priority. */
  readonly queued: Readonly<Record<0 | 3 | 6, number>>;
}

export interface SocketChannelConfig {
  readonly socket: WebSocketLike;
  readonly peerId: string;
  readonly role: PeerRole;
  readonly persistent: boolean;
  readonly maxFrameBytes: number;
  /** Server side: close a peer whose queued + buffered bytes exceed this (slow consumer). */
  readonly maxQueuedBytes?: number | undefined;
  /** Server side: send a ping this often (ms). */
  readonly pingIntervalMs?: number | undefined;
  readonly dc?: string | undefined;
  /** Client side: close with PingTimeout when nothing at all arrives for this long (ms). */
  readonly livenessTimeoutMs?: number | undefined;
  /** The socket's `send` takes a written-callback (`ws`): used to resume after congestion. */
  readonly writeCallbacks: boolean;
  readonly onProtocolError?: ((error: FrameError) => void) | undefined;
  readonly now: () => number;
}

type Timer = ReturnType<typeof setTimeout>;

/** Default budget of bytes waiting for one peer before it is closed as a slow consumer. */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;

// A message relayed to many subscribers is one object sent on many channels (the sync manager
// shares identical content between peers): serialise it once. Sent messages are never mutated.
const serialized = new WeakMap<object, string>();

function serializeOnce(message: object): string {
  let text = serialized.get(message);
  if (text === undefined) {
    text = encodeSyncMessage(message);
    serialized.set(message, text);
  }
  return text;
}

/**
 * Characters of `message` as a channel serialized it (when it was sent on one), so observers that
 * count bytes need not walk it again; undefined for a message no channel serialized.
 */
export function serializedLengthOf(message: object): number | undefined {
  return serialized.get(message)?.length;
}

const MAX_REASON_BYTES = 123;

/**
 * When queued messages leave: in Node at the end of this turn of the event loop (`setImmediate`),
 * so everything a turn produces — say the acks of every message one storage commit held — shares
 * one frame and one write (a write costs a syscall; measured, one per microtask was 17 % of a
 * server's time under a flood of small messages). Browsers have no `setImmediate`: a microtask.
 */
const scheduleFlush: (flush: () => void) => void =
  typeof setImmediate === "function" ? (flush) => void setImmediate(flush) : (flush) => queueMicrotask(flush);

export class SocketChannel implements WebSocketChannel {
  readonly peerId: string;
  readonly role: PeerRole;
  readonly persistent: boolean;
  readonly acceptsErrorNotices = true;
  readonly closed: Promise<CloseReason>;

  readonly #config: SocketChannelConfig;
  readonly #socket: WebSocketLike;
  readonly #queue = new PriorityQueue<string>();
  readonly #messageListeners = new Set<(message: unknown) => void>();
  readonly #noticeListeners = new Set<(notice: unknown) => void>();
  readonly #pingListeners = new Set<(ping: ReceivedPing) => void>();
  #earlyMessages: unknown[] | undefined = [];
  #earlyDrainScheduled = false;
  #settle: (reason: CloseReason) => void = () => {};
  #closeReason: CloseReason | undefined;
  #flushScheduled = false;
  #waitingForRoom = false;
  #resumeOnWrite = false;
  #pendingWrites = 0;
  #drainTimer: Timer | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #livenessTimer: Timer | undefined;
  #lastActivity: number;
  #stats = { framesSent: 0, messagesSent: 0, framesReceived: 0, messagesReceived: 0, dropped: 0 };
  /** Characters of the messages in #queue (counted only when maxQueuedBytes is set). */
  #queuedChars = 0;

  constructor(config: SocketChannelConfig) {
    this.#config = config;
    this.#socket = config.socket;
    this.peerId = config.peerId;
    this.role = config.role;
    this.persistent = config.persistent;
    this.closed = new Promise((resolve) => {
      this.#settle = resolve;
    });
    this.#lastActivity = config.now();
    if (this.#socket.readyState !== OPEN) {
      this.#finish({ code: CloseCode.Abnormal, reason: "socket was not open" });
      return;
    }
    this.#socket.addEventListener("message", this.#onSocketMessage);
    this.#socket.addEventListener("close", this.#onSocketClose);
    // A close event always follows an error; ws throws on an 'error' nobody listens to, so this
    // listener stays attached for the socket's whole life.
    this.#socket.addEventListener("error", ignoreError);
    if (config.pingIntervalMs !== undefined && config.pingIntervalMs > 0) {
      this.#pingTimer = setInterval(this.#sendPing, config.pingIntervalMs);
    }
    if (config.livenessTimeoutMs !== undefined && config.livenessTimeoutMs > 0) {
      this.#livenessTimer = setTimeout(this.#checkLiveness, config.livenessTimeoutMs);
    }
  }

  get stats(): ChannelStats {
    return { ...this.#stats };
  }

  /** Messages waiting to be sent, per priority (0, 3, 6): the server's queue-depth metric. */
  get queued(): Readonly<Record<0 | 3 | 6, number>> {
    return this.#queue.sizes;
  }

  send(message: OutgoingMessage): void {
    if (this.#closeReason !== undefined) {
      this.#stats.dropped += 1;
      return;
    }
    const text = serializeOnce(message);
    const limit = this.#config.maxQueuedBytes;
    if (limit !== undefined) {
      this.#queuedChars += text.length;
      if (this.#queuedChars + this.#socket.bufferedAmount > limit) {
        this.#stats.dropped += 1;
        this.close({ code: CloseCode.SlowConsumer, reason: "slow consumer: too much waiting to be sent" });
        return;
      }
    }
    this.#queue.push(text, priorityOfMessage(message));
    this.#scheduleFlush();
  }

  onMessage(listener: (message: unknown) => void): () => void {
    this.#messageListeners.add(listener);
    if (this.#earlyMessages !== undefined && !this.#earlyDrainScheduled) {
      this.#earlyDrainScheduled = true;
      queueMicrotask(() => {
        const early = this.#earlyMessages ?? [];
        this.#earlyMessages = undefined;
        for (const message of early) {
          if (this.#closeReason !== undefined) return;
          notify(this.#messageListeners, message);
        }
      });
    }
    return () => {
      this.#messageListeners.delete(listener);
    };
  }

  onNotice(listener: (notice: unknown) => void): () => void {
    return subscribe(this.#noticeListeners, listener);
  }

  onPing(listener: (ping: ReceivedPing) => void): () => void {
    return subscribe(this.#pingListeners, listener);
  }

  pause(): void {
    this.#socket.pause?.();
  }

  resume(): void {
    if (this.#closeReason === undefined) this.#socket.resume?.();
  }

  close(reason: CloseReason = { code: CloseCode.Normal, reason: "closed" }): void {
    if (this.#closeReason !== undefined) return;
    // What was queued leaves before the close frame, congested or not.
    if (this.#socket.readyState === OPEN) {
      while (this.#queue.size > 0) this.#writeFrame(this.#nextFrame());
    }
    const settled = { code: reason.code, reason: reason.reason };
    this.#finish(settled);
    closeSocket(this.#socket, settled);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.closed;
  }

  // --- outgoing ------------------------------------------------------------------------------

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#waitingForRoom) return;
    this.#flushScheduled = true;
    scheduleFlush(this.#flush);
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    if (this.#closeReason !== undefined || this.#socket.readyState !== OPEN) return;
    while (this.#queue.size > 0) {
      if (this.#socket.bufferedAmount > BUFFER_LIMIT_BYTES) {
        this.#waitForRoom();
        return;
      }
      this.#writeFrame(this.#nextFrame());
    }
  };

  /** Pulls queued messages, most urgent first, into one frame of at most FRAME_BATCH_CHARS. */
  #nextFrame(): string {
    let frame = this.#queue.shift() ?? "";
    let count = 1;
    for (let next = this.#queue.peek(); next !== undefined; next = this.#queue.peek()) {
      if (frame.length + 1 + next.length > FRAME_BATCH_CHARS) break;
      frame = `${frame}\n${next}`;
      this.#queue.shift();
      count += 1;
    }
    this.#stats.messagesSent += count;
    this.#queuedChars = Math.max(0, this.#queuedChars - (frame.length - (count - 1)));
    return frame;
  }

  #writeFrame(frame: string): void {
    this.#stats.framesSent += 1;
    if (this.#config.writeCallbacks) {
      this.#pendingWrites += 1;
      (this.#socket.send as (data: string, callback: () => void) => void).call(this.#socket, frame, this.#onWritten);
    } else {
      this.#socket.send(frame);
    }
  }

  #waitForRoom(): void {
    this.#waitingForRoom = true;
    if (this.#config.writeCallbacks && this.#pendingWrites > 0) {
      this.#resumeOnWrite = true;
    } else {
      this.#drainTimer = setTimeout(this.#resume, DRAIN_POLL_MS);
    }
  }

  readonly #onWritten = (): void => {
    this.#pendingWrites -= 1;
    if (!this.#resumeOnWrite) return;
    this.#resumeOnWrite = false;
    this.#resume();
  };

  readonly #resume = (): void => {
    this.#drainTimer = undefined;
    this.#waitingForRoom = false;
    this.#scheduleFlush();
  };

  readonly #sendPing = (): void => {
    if (this.#closeReason !== undefined || this.#socket.readyState !== OPEN) return;
    // A congested socket is delivering anyway, and its backlog keeps the client alive.
    if (this.#socket.bufferedAmount > BUFFER_LIMIT_BYTES) return;
    this.#writeFrame(encodePing(this.#config.now(), this.#config.dc));
  };

  // --- incoming ------------------------------------------------------------------------------

  readonly #onSocketMessage = (event: WebSocketEventMapLike["message"]): void => {
    if (this.#closeReason !== undefined) return;
    this.#lastActivity = this.#config.now();
    const { data } = event;
    if (typeof data !== "string") {
      this.#report({ type: "BinaryFrame", message: "binary frames are not part of the protocol; frame ignored" });
      return;
    }
    const limit = this.#config.maxFrameBytes;
    if (data.length > limit || (data.length * 3 > limit && utf8Length(data) > limit)) {
      const bytes = utf8Length(data);
      this.#report({ type: "FrameTooBig", bytes, limit, message: `frame of ${bytes} bytes exceeds the limit of ${limit} bytes` });
      this.close({ code: CloseCode.MessageTooBig, reason: `frame exceeds ${limit} bytes` });
      return;
    }
    this.#stats.framesReceived += 1;
    for (const entry of decodeFrame(data)) {
      if (this.#closeReason !== undefined) return;
      switch (entry.type) {
        case "message":
          this.#stats.messagesReceived += 1;
          if (this.#earlyMessages !== undefined) this.#earlyMessages.push(entry.message);
          else notify(this.#messageListeners, entry.message);
          break;
        case "ping":
          notify(this.#pingListeners, { time: entry.time, dc: entry.dc });
          break;
        case "notice":
          notify(this.#noticeListeners, entry.notice);
          break;
        case "invalid":
          this.#report({ type: "InvalidEntry", line: entry.line, message: entry.reason });
          break;
        case "ignored":
          break;
      }
    }
  };

  readonly #onSocketClose = (event: WebSocketEventMapLike["close"]): void => {
    this.#finish({ code: event.code, reason: event.reason });
  };

  readonly #checkLiveness = (): void => {
    this.#livenessTimer = undefined;
    if (this.#closeReason !== undefined) return;
    const timeout = this.#config.livenessTimeoutMs ?? 0;
    const idle = this.#config.now() - this.#lastActivity;
    if (idle >= timeout) {
      this.close({ code: CloseCode.PingTimeout, reason: `nothing received for ${timeout} ms` });
      return;
    }
    this.#livenessTimer = setTimeout(this.#checkLiveness, timeout - idle);
  };

  #report(error: FrameError): void {
    const report = this.#config.onProtocolError;
    if (report !== undefined) callListener(report, error);
  }

  // --- lifetime ------------------------------------------------------------------------------

  #finish(reason: CloseReason): void {
    if (this.#closeReason !== undefined) return;
    this.#closeReason = reason;
    this.#stats.dropped += this.#queue.clear();
    this.#queuedChars = 0;
    if (this.#pingTimer !== undefined) clearInterval(this.#pingTimer);
    if (this.#livenessTimer !== undefined) clearTimeout(this.#livenessTimer);
    if (this.#drainTimer !== undefined) clearTimeout(this.#drainTimer);
    this.#socket.removeEventListener("message", this.#onSocketMessage);
    this.#socket.removeEventListener("close", this.#onSocketClose);
    this.#messageListeners.clear();
    this.#noticeListeners.clear();
    this.#pingListeners.clear();
    this.#settle(reason);
  }
}

/** Boundary check of a numeric option (noble style: names the argument). */
export function assertPositive(value: number, argument: string, options: { readonly allowZero?: boolean } = {}): void {
  const ok = typeof value === "number" && Number.isFinite(value) && (options.allowZero ? value >= 0 : value > 0);
  if (!ok) throw new RangeError(`${argument}: expected a finite ${options.allowZero ? "non-negative" : "positive"} number, got ${String(value)}`);
}

/** Largest delay timers honour: Node turns anything longer into 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `assertPositive` for a duration handed to a timer. */
export function assertDelay(value: number, argument: string, options: { readonly allowZero?: boolean } = {}): void {
  assertPositive(value, argument, options);
  if (value > MAX_TIMER_MS) throw new RangeError(`${argument}: at most ${MAX_TIMER_MS} ms (about 24.8 days), got ${value}`);
}

/** Closes a socket with the reason if the runtime allows that code, else with 1000. */
function closeSocket(socket: WebSocketLike, reason: CloseReason): void {
  if (socket.readyState >= 2) return;
  const text = truncateUtf8(reason.reason, MAX_REASON_BYTES);
  try {
    socket.close(reason.code, text);
  } catch {
    // Browsers only allow 1000 and 3000–4999 from script; ws refuses reserved codes.
    socket.close(CloseCode.Normal, text);
  }
}

function truncateUtf8(text: string, maxBytes: number): string {
  let result = text;
  while (utf8Length(result) > maxBytes) result = result.slice(0, Math.max(0, result.length - 8));
  return result;
}

function ignoreError(): void {}

function subscribe<T>(listeners: Set<(value: T) => void>, listener: (value: T) => void): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

function notify<T>(listeners: Set<(value: T) => void>, value: T): void {
  for (const listener of [...listeners]) {
    if (listeners.has(listener)) callListener(listener, value);
  }
}

/** A throwing listener is a bug: reported asynchronously, without stopping delivery to the others. */
function callListener<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
