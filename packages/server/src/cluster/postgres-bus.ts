import pg from "pg";
import type { ClusterBus } from "./cluster-bus.js";

/** NOTIFY channel of the cluster bus (notifications are per database, so one name suffices). */
export const POSTGRES_CHANNEL = "cosync_commits";

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * The cluster bus over PostgreSQL LISTEN/NOTIFY on one dedicated connection: no service beyond the
 * database the processes already share. When the connection drops it is reopened with backoff
 * (notifications sent meanwhile are lost, and the link catches up from the tables); publishing
 * while it is down drops the notice.
 */
export async function openPostgresBus(options: { readonly url: string; readonly name: string }): Promise<ClusterBus> {
  const messageListeners: Array<(payload: string) => void> = [];
  const statusListeners: Array<(connected: boolean) => void> = [];
  let client: pg.Client | undefined;
  let connected = false;
  let closing = false;
  let retryMs = RETRY_MIN_MS;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let publishing: Promise<void> = Promise.resolve();

  const setConnected = (now: boolean) => {
    if (now === connected) return;
    connected = now;
    for (const listener of statusListeners) listener(now);
  };

  const open = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: options.url, application_name: options.name, keepAlive: true });
    next.on("notification", (message) => {
      if (message.channel !== POSTGRES_CHANNEL || message.payload === undefined) return;
      for (const listener of messageListeners) listener(message.payload);
    });
    // Errors end the connection; "end" schedules the reconnect (an error is always followed by it).
    next.on("error", () => {});
    next.on("end", () => {
      if (client !== next) return;
      client = undefined;
      setConnected(false);
      scheduleReopen();
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${POSTGRES_CHANNEL}`);
    } catch (error) {
      await next.end().catch(() => {});
      throw error;
    }
    if (closing) {
      await next.end().catch(() => {});
      return;
    }
    client = next;
    retryMs = RETRY_MIN_MS;
    setConnected(true);
  };

  const scheduleReopen = () => {
    if (closing || retryTimer !== undefined) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      open().catch(() => {
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
        scheduleReopen();
      });
    }, retryMs);
  };

  try {
    await open();
  } catch (error) {
    throw new Error(`cluster: cannot LISTEN on PostgreSQL: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }

  return {
    kind: "postgres",
    get connected() {
      return connected;
    },
    publish(payload) {
      const current = client;
      if (current === undefined || !connected) return false;
      // One query at a time on the connection (pg queues overlapping ones, deprecated in pg 9).
      publishing = publishing
        .then(() => current.query("SELECT pg_notify($1, $2)", [POSTGRES_CHANNEL, payload]))
        .then(
          () => {},
          () => {
            // The connection failed: "end" follows and reconnects; the notice is lost (catch-up covers it).
          },
        );
      return true;
    },
    onMessage(listener) {
      messageListeners.push(listener);
    },
    onStatus(listener) {
      statusListeners.push(listener);
    },
    async close() {
      closing = true;
      clearTimeout(retryTimer);
      const current = client;
      client = undefined;
      connected = false;
      await publishing;
      await current?.end().catch(() => {});
    },
  };
}
