import { CloseCode } from "@cosync/core";
import { assertWebSocketUrl, ConnectionError, type ConnectWebSocketOptions, connectWebSocket, withoutCredentials } from "./connect-websocket.js";
import { assertDelay, type WebSocketChannel } from "./socket-channel.js";

/** Linear backoff between connection attempts: `baseMs × attempt`, at most `maxMs`. */
export interface BackoffOptions {
  /** Default 500 ms (cojson's `reconnectionTimeout`). */
  readonly baseMs?: number;
  /** Default 10,000 ms. */
  readonly maxMs?: number;
}

/** Options of {@link createReconnectingConnection}: those of `connectWebSocket`, plus: */
export interface ReconnectingConnectionOptions extends Omit<ConnectWebSocketOptions, "signal"> {
  /** Called with each new open channel; the app hands it to its node (`node.syncManager.addPeer`). */
  readonly onChannel: (channel: WebSocketChannel) => void;
  readonly backoff?: BackoffOptions;
  /**
   * Called when an attempt fails, before waiting `delayMs` for the next. Without it, each distinct
   * failure is written once to `console.warn`, so a refused connection (HTTP 401: a bad token)
   * is never silent.
   */
  readonly onConnectError?: (error: Error, attempt: number, delayMs: number) => void;
  /**
   * For servers that require authentication: called before every attempt for a fresh token
   * (e.g. `() => mintAuthToken(crypto, { accountId, agentSecret, audience: url })`), sent as
   * `?auth=…`, so a long-lived connection never reconnects with an expired one. The peer id stays
   * the URL without it.
   */
  readonly authToken?: () => string | Promise<string>;
}

/** A connection that keeps itself up until stopped. */
export interface ReconnectingConnection extends AsyncDisposable {
  /** The peer id every channel of this connection carries (the URL unless given). */
  readonly peerId: string;
  /** The open channel, if any. */
  readonly channel: WebSocketChannel | undefined;
  /** Why the last attempt failed (cleared once one connects). */
  readonly lastError: Error | undefined;
  /** Stops reconnecting, closes the current channel (1000) and resolves once nothing is left running. */
  stop(): Promise<void>;
}

/**
 * Connects to a sync server and reconnects whenever the channel closes (server restart, network
 * loss, liveness timeout), waiting `500 ms × attempts` (capped at 10 s) between attempts, like
 * cojson's WebSocketPeerWithReconnection. Every channel has the same `peerId`, so a persistent
 * peer resumes from its known state. The attempt count resets once a connection opens.
 */
export function createReconnectingConnection(options: ReconnectingConnectionOptions): ReconnectingConnection {
  const { onChannel, onConnectError, backoff, authToken, ...connectOptions } = options;
  if (typeof onChannel !== "function") throw new TypeError("onChannel: expected a function");
  if (authToken !== undefined && typeof authToken !== "function") throw new TypeError("authToken: expected a function returning a token");
  assertWebSocketUrl(options.url);
  const baseMs = backoff?.baseMs ?? 500;
  const maxMs = backoff?.maxMs ?? 10_000;
  assertDelay(baseMs, "backoff.baseMs");
  assertDelay(maxMs, "backoff.maxMs");
  const peerId = options.peerId ?? withoutCredentials(options.url);
  const aborter = new AbortController();
  let current: WebSocketChannel | undefined;
  let lastError: Error | undefined;
  const warned = new Set<string>();
  const reportConnectError =
    onConnectError ??
    ((error: Error) => {
      if (warned.has(error.message)) return;
      warned.add(error.message);
      console.warn(`cosync: ${error.message} (retrying; pass onConnectError to handle this yourself)`);
    });
  let cancelWait: (() => void) | undefined;

  function wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        cancelWait = undefined;
        resolve();
      }
      cancelWait = done;
    });
  }

  async function run(): Promise<void> {
    let attempts = 0;
    while (!aborter.signal.aborted) {
      let channel: WebSocketChannel;
      try {
        const url = authToken === undefined ? options.url : withAuthToken(options.url, await authToken());
        channel = await connectWebSocket({ ...connectOptions, url, peerId, signal: aborter.signal });
      } catch (error) {
        if (!(error instanceof ConnectionError)) throw error; // a bug (bad options), not a network failure
        if (aborter.signal.aborted) return;
        attempts += 1;
        lastError = error as Error;
        // A server that refused the upgrade (HTTP 4xx: a bad or expired token, a ban) will likely
        // refuse again: retry at the slowest pace rather than hammer it.
        const refused = /refused the connection with HTTP 4\d\d/.test((error as Error).message);
        const delay = refused ? maxMs : Math.min(baseMs * attempts, maxMs);
        reportConnectError(error as Error, attempts, delay);
        await wait(delay);
        continue;
      }
      if (aborter.signal.aborted) {
        channel.close({ code: CloseCode.Normal, reason: "stopped" });
        return;
      }
      attempts = 0;
      lastError = undefined;
      current = channel;
      try {
        onChannel(channel);
      } catch (error) {
        // A bug in the app's callback: surface it, keep the connection.
        queueMicrotask(() => {
          throw error;
        });
      }
      await channel.closed;
      current = undefined;
      if (aborter.signal.aborted) return;
      attempts += 1;
      await wait(Math.min(baseMs * attempts, maxMs));
    }
  }

  const running = run();

  async function stop(): Promise<void> {
    aborter.abort();
    cancelWait?.();
    current?.close({ code: CloseCode.Normal, reason: "stopped" });
    await running;
  }

  return {
    peerId,
    get channel() {
      return current;
    },
    get lastError() {
      return lastError;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** `url` with `auth=<token>` in its query (replacing one already there). */
function withAuthToken(url: string, token: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("auth", token);
  return parsed.toString();
}
