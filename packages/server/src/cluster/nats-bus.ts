import { connect, type NatsConnection, type Subscription } from "nats";
import type { ClusterBus } from "./cluster-bus.js";

/**
 * The cluster bus over core NATS publish/subscribe on one subject (no JetStream: lost notices are
 * recovered from the database, so the bus needs no persistence). The client reconnects forever;
 * messages published while disconnected are dropped (see `publish`).
 */
export async function openNatsBus(options: { readonly url: string; readonly subject: string; readonly name: string }): Promise<ClusterBus> {
  let connection: NatsConnection;
  try {
    connection = await connect({
      servers: options.url,
      name: options.name,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      reconnectJitter: 100,
      pingInterval: 5_000,
      maxPingOut: 2,
    });
  } catch (error) {
    // No `cause`: the client's own error may repeat the URL, password included.
    const reason = redactSecretsOf(options.url, error instanceof Error ? error.message : String(error));
    throw new Error(`cluster: cannot connect to NATS at ${withoutPassword(options.url)}: ${reason}`);
  }
  const messageListeners: Array<(payload: string) => void> = [];
  const statusListeners: Array<(connected: boolean) => void> = [];
  let connected = true;
  const setConnected = (now: boolean) => {
    if (now === connected) return;
    connected = now;
    for (const listener of statusListeners) listener(now);
  };
  const subscription: Subscription = connection.subscribe(options.subject);
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const reading = (async () => {
    for await (const message of subscription) {
      const payload = decoder.decode(message.data);
      for (const listener of messageListeners) listener(payload);
    }
  })();
  void (async () => {
    for await (const status of connection.status()) {
      if (status.type === "disconnect" || status.type === "staleConnection") setConnected(false);
      else if (status.type === "reconnect") setConnected(true);
    }
  })();
  const closed = connection.closed();

  return {
    kind: "nats",
    get connected() {
      return connected;
    },
    publish(payload) {
      // Not handed to the client's reconnect buffer: a notice late by seconds is worth less than
      // the catch-up every process runs when its bus returns, and would only be counted as sent.
      if (connection.isClosed() || !connected) return false;
      try {
        connection.publish(options.subject, encoder.encode(payload));
        return true;
      } catch {
        return false;
      }
    },
    onMessage(listener) {
      messageListeners.push(listener);
    },
    onStatus(listener) {
      statusListeners.push(listener);
    },
    async close() {
      if (!connection.isClosed()) await connection.close();
      // The status iterator does not end on close: only the subscription's reader is awaited.
      await Promise.allSettled([reading, closed]);
    },
  };
}

/** A NATS URL without its credentials, for messages and logs. */
function withoutPassword(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_match, credentials: string) => `//${credentials.includes(":") ? `${credentials.split(":")[0]}:***` : "***"}@`);
}

/** `text` with the URL's user and password (if any) replaced. */
function redactSecretsOf(url: string, text: string): string {
  const credentials = /\/\/([^@/]*)@/.exec(url)?.[1];
  if (credentials === undefined || credentials === "") return text;
  let redacted = text.replaceAll(url, withoutPassword(url));
  for (const secret of credentials.split(":").slice(1)) if (secret.length > 0) redacted = redacted.replaceAll(secret, "***");
  return redacted;
}
