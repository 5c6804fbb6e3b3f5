// Test fixtures (not exported, not built): a raw `ws` client that records every entry it receives,
// and a bridge that syncs a cosync LocalNode through such a client (STYLE §5.9: real sockets).
import { createLinkedChannels, type LocalNode, type PeerState } from "@cosync/core";
import { WebSocket } from "ws";

/** A received frame entry (pings are kept apart). */
export type Entry = Record<string, unknown> & { readonly action?: string; readonly error?: { code: string; message: string; id?: string; session?: string } };

const DEFAULT_WAIT_MS = 10_000;

/**
 * A raw WebSocket client: sends frames as given, records what arrives, and waits for entries by
 * predicate (resolved on arrival, never by polling).
 */
export class RawClient implements AsyncDisposable {
  readonly ws: WebSocket;
  readonly entries: Entry[] = [];
  readonly pings: Entry[] = [];
  readonly closed: Promise<{ readonly code: number; readonly reason: string }>;
  readonly #waiters = new Set<{ match: (entry: Entry) => boolean; resolve: (entry: Entry) => void }>();
  readonly #listeners = new Set<(entry: Entry) => void>();

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on("message", (data) => {
      for (const line of data.toString().split("\n")) {
        const entry = JSON.parse(line) as Entry;
        if ("time" in entry && !("action" in entry)) {
          this.pings.push(entry);
          continue;
        }
        this.entries.push(entry);
        for (const listener of [...this.#listeners]) listener(entry);
        for (const waiter of [...this.#waiters]) {
          if (waiter.match(entry)) {
            this.#waiters.delete(waiter);
            waiter.resolve(entry);
          }
        }
      }
    });
  }

  static connect(url: string): Promise<RawClient> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(new RawClient(ws)));
      ws.once("error", reject);
      ws.once("unexpected-response", (_request, response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => {
          body += chunk.toString();
        });
        response.on("end", () => {
          const error = new Error(`upgrade refused with HTTP ${response.statusCode}: ${body}`);
          reject(Object.assign(error, { statusCode: response.statusCode, body }));
        });
      });
    });
  }

  /** Sends the values as one frame (compact JSON joined by "\n"). */
  send(...values: unknown[]): void {
    this.ws.send(values.map((value) => JSON.stringify(value)).join("\n"));
  }

  sendText(text: string): void {
    this.ws.send(text);
  }

  onEntry(listener: (entry: Entry) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The first entry (already received or arriving) that matches; rejects after `timeoutMs`. */
  waitFor(match: (entry: Entry) => boolean, what = "a matching entry", timeoutMs = DEFAULT_WAIT_MS): Promise<Entry> {
    const existing = this.entries.find(match);
    if (existing !== undefined) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (entry: Entry) => {
          clearTimeout(timer);
          resolve(entry);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${JSON.stringify(this.entries).slice(0, 2000)}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** The next error notice with `code`. */
  notice(code: string, timeoutMs?: number): Promise<NonNullable<Entry["error"]>> {
    return this.waitFor((entry) => entry.error?.code === code, `an error notice ${code}`, timeoutMs).then((entry) => entry.error as NonNullable<Entry["error"]>);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.terminate();
    await this.closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A LocalNode synced through a RawClient: every frame both ways is visible in `raw`. */
export interface BridgedNode extends AsyncDisposable {
  readonly raw: RawClient;
  readonly serverPeer: PeerState;
  close(): Promise<void>;
}

/** Connects `node` to a server over a real WebSocket, through an in-memory channel pair and a RawClient. */
export async function bridgeNode(node: LocalNode, url: string): Promise<BridgedNode> {
  const raw = await RawClient.connect(url);
  const [toServer, toNode] = createLinkedChannels({ aId: "client", bId: "server", aRole: "client", bRole: "server" });
  toNode.onMessage((message) => raw.send(message));
  raw.onEntry((entry) => toNode.send(entry as never));
  void raw.closed.then(() => toNode.close());
  const serverPeer = node.syncManager.addPeer(toServer);
  const close = async () => {
    toServer.close();
    await raw.close();
  };
  return { raw, serverPeer, close, [Symbol.asyncDispose]: close };
}
