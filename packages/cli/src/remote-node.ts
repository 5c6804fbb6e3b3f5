// A node with no account connected to a running server, for `--url`: it loads values as any
// client would (the server sends what a client may receive) and can decrypt nothing.
import { type CoCrypto, type CoId, createLocalNode, type LocalNode } from "@cosync/core";
import { connectWebSocket } from "@cosync/transport-ws";
import WebSocket from "ws";
import { OperatorError } from "./open-store.js";
import type { SessionTexts } from "./value-report.js";

export interface RemoteNode extends AsyncDisposable {
  readonly node: LocalNode;
}

/** Connects to `url` (ws:// or wss://, with ?auth=… if the server asks for it). */
export async function connectRemoteNode(url: string, crypto: CoCrypto): Promise<RemoteNode> {
  const channel = await connectWebSocket({ url, WebSocket: WebSocket as never, persistent: false });
  const node = createLocalNode({ crypto, gc: false });
  node.syncManager.addPeer(channel);
  return {
    node,
    async [Symbol.asyncDispose]() {
      channel.close();
      await node.close();
    },
  };
}

/** Loads `id` completely (a big value arrives in several messages) and returns its header and sessions. */
export async function loadRemoteValue(node: LocalNode, id: CoId, timeoutMs = 30_000) {
  const outcome = await node.load(id);
  if (outcome.status !== "loaded") throw new OperatorError(`${id} could not be loaded from the server: ${outcome.reason}`);
  const handle = outcome.value;
  if (handle.isStreaming()) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new OperatorError(`${id}: the server did not send the whole value within ${timeoutMs} ms`)), timeoutMs);
      const stop = handle.subscribe(() => {
        if (handle.isStreaming()) return;
        clearTimeout(timer);
        stop();
        resolve();
      });
    });
  }
  const log = node.peekEntry(id)?.log;
  if (log === undefined) throw new OperatorError(`${id} was unloaded while it was read`);
  const sessions: Record<string, { transactions: readonly string[] }> = {};
  for (const [sessionId, session] of log.sessions) sessions[sessionId] = { transactions: session.serialized };
  return { header: handle.header, sessions: sessions as SessionTexts };
}
