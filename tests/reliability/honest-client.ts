// A well-behaved cosync client for the reliability tests: a named account over a real, reconnecting
// WebSocket, writing to a map of its own in a loop and recording how long the server takes to
// acknowledge each write (set → the server's `known` covering it).
import { type CoMapView, type KnownState, createMemoryStorage, createAccountNode, type LocalNode, type StorageAdapter } from "@cosync/core";
import { createReconnectingConnection, type ReconnectingConnection } from "@cosync/transport-ws";
import { WebSocket } from "ws";
import { testCrypto } from "../helpers/nodes.js";

export interface HonestClient extends AsyncDisposable {
  readonly node: LocalNode;
  readonly map: CoMapView;
  readonly connection: ReconnectingConnection;
  /** Milliseconds from each write to its acknowledgement, in order. */
  readonly latencies: number[];
  /** Writes acknowledged so far (their keys are `w0`, `w1`, …). */
  readonly acknowledged: () => number;
  /** Called with the map's state (what it held right after a write) once the server acknowledged that write. */
  onAcknowledged(listener: (known: KnownState) => void): void;
  /** Starts writing one value after another until `stop`. */
  startWriting(options?: { readonly pauseMs?: number; readonly ackTimeoutMs?: number }): void;
  /** Stops the writer loop; rejects if a write was not acknowledged in time. */
  stopWriting(): Promise<void>;
  close(): Promise<void>;
}

export async function openHonestClient(url: string, options: { readonly name?: string; readonly storage?: StorageAdapter } = {}): Promise<HonestClient> {
  const node = createAccountNode({ crypto: await testCrypto(), storage: options.storage ?? createMemoryStorage(), gc: false, name: options.name ?? "Honest" });
  const connection = createReconnectingConnection({
    url,
    WebSocket: WebSocket as never,
    backoff: { baseMs: 50, maxMs: 500 },
    onChannel: (channel) => node.syncManager.addPeer(channel),
  });
  const map = node.createGroup().createMap();
  const latencies: number[] = [];
  let written = 0;
  let running: Promise<void> | undefined;
  let stopping = false;
  const ackListeners: ((known: KnownState) => void)[] = [];

  const writeLoop = async (pauseMs: number, ackTimeoutMs: number) => {
    while (!stopping) {
      const key = `w${written}`;
      const started = performance.now();
      map.set(key, written, "trusting");
      const known = map.knownState();
      await map.waitForSync({ timeoutMs: ackTimeoutMs });
      latencies.push(performance.now() - started);
      for (const listener of ackListeners) listener(known);
      written++;
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  };

  const close = async () => {
    stopping = true;
    await running?.catch(() => {});
    await connection.stop();
    await node.close();
  };
  return {
    node,
    map,
    connection,
    latencies,
    acknowledged: () => written,
    onAcknowledged: (listener) => void ackListeners.push(listener),
    startWriting({ pauseMs = 5, ackTimeoutMs = 20_000 } = {}) {
      stopping = false;
      running = writeLoop(pauseMs, ackTimeoutMs);
    },
    async stopWriting() {
      stopping = true;
      await running;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The p-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function describeLatencies(values: readonly number[]): string {
  const fmt = (n: number) => n.toFixed(1);
  return `${values.length} writes, p50 ${fmt(percentile(values, 50))} ms, p99 ${fmt(percentile(values, 99))} ms, max ${fmt(percentile(values, 100))} ms`;
}
