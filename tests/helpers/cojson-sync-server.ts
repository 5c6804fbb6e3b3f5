// A real cojson 0.20.19 sync server for tests — the one in bench/cojson-server.mjs, built from
// cojson's own APIs as jazz-run's `sync` command does (spec/cojson-oracle-recipes.md): a LocalNode
// with a random agent and no account, cojson's SQLite storage over better-sqlite3, the garbage
// collector on, one cojson-transport-ws peer per connection, a ping every 1.5 s, and /health. Also:
// real cojson clients connected to any sync server over WebSocket, and condition waits for tests.
import {
  type AgentSecret,
  LocalNode,
  LogLevel,
  logger,
  type RawBinaryCoStream,
  type RawCoValue,
  type RawGroup,
} from "cojson";
import { WasmCrypto } from "cojson/crypto/WasmCrypto";
import { createWebSocketPeer } from "cojson-transport-ws";
import { WebSocket } from "ws";
import { startCojsonSyncServer as startBenchCojsonServer } from "../../bench/cojson-server.mjs";

logger.setLevel(LogLevel.ERROR);

export interface CojsonSyncServerOptions {
  /** SQLite file (created if missing); the same file after a restart brings everything back. */
  readonly file: string;
  /** Default 0: a free port. */
  readonly port?: number;
  /** Ping period (ms). Default 1500, as jazz-run. */
  readonly pingIntervalMs?: number;
}

export interface CojsonSyncServer extends AsyncDisposable {
  /** `ws://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly node: LocalNode;
  /** Terminates sockets, shuts the node down gracefully, closes the database and the HTTP server. */
  close(): Promise<void>;
}

/**
 * Starts a cojson sync server on 127.0.0.1: the very server `bench/server.mjs` measures (built in
 * bench/cojson-server.mjs from cojson's public APIs, as the oracle recipe shows).
 */
export async function startCojsonSyncServer(options: CojsonSyncServerOptions): Promise<CojsonSyncServer> {
  const server = (await startBenchCojsonServer(options)) as Omit<CojsonSyncServer, typeof Symbol.asyncDispose>;
  return { ...server, [Symbol.asyncDispose]: server.close };
}

// ---- real cojson clients over WebSocket (for either server) ----------------------------------

/** A cojson client node connected to a sync server over a real WebSocket. */
export interface CojsonWsClient {
  readonly node: LocalNode;
  readonly websocket: WebSocket;
  /** Shuts the node down and terminates its socket (once; later calls wait for the first). */
  close(): Promise<void>;
}

async function openSocket(url: string): Promise<WebSocket> {
  const websocket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    websocket.once("open", () => resolve());
    websocket.once("error", reject);
  });
  return websocket;
}

function serverPeer(websocket: WebSocket) {
  return createWebSocketPeer({ id: "sync-server", role: "server", websocket: websocket as never });
}

function wsClient(node: LocalNode, websocket: WebSocket): CojsonWsClient {
  let closing: Promise<void> | undefined;
  return {
    node,
    websocket,
    close: () => {
      closing ??= (async () => {
        await node.gracefulShutdown();
        websocket.terminate();
      })();
      return closing;
    },
  };
}

/** A new cojson account (WasmCrypto, cojson-transport-ws) whose node syncs through `url`. */
export async function connectNewCojsonAccount(url: string, name: string) {
  const websocket = await openSocket(url);
  const created = await LocalNode.withNewlyCreatedAccount({
    creationProps: { name },
    peers: [serverPeer(websocket)],
    crypto: await WasmCrypto.create(),
  });
  return { ...wsClient(created.node, websocket), accountID: created.accountID as string, accountSecret: created.accountSecret };
}

/** A fresh cojson node (new session) for an existing account, loaded through `url`. */
export async function connectCojsonAccount(url: string, account: { readonly accountID: string; readonly accountSecret: AgentSecret }) {
  const websocket = await openSocket(url);
  const node = await LocalNode.withLoadedAccount({
    accountID: account.accountID as never,
    accountSecret: account.accountSecret,
    sessionID: undefined,
    peers: [serverPeer(websocket)],
    crypto: await WasmCrypto.create(),
  });
  return wsClient(node, websocket);
}

/** `node.load`, throwing when the value is unavailable. */
export async function loadCojson<T extends RawCoValue>(node: LocalNode, id: string): Promise<T> {
  const value = await node.load(id as never);
  if (value === "unavailable") throw new Error(`${id} is unavailable`);
  return value as unknown as T;
}

/**
 * Resolves once `check()` holds, re-checking whenever `subscribe`'s listener fires; rejects after
 * `timeoutMs` naming `what`. Works for cojson (`core.subscribe`) and cosync (`handle.subscribe`).
 */
export function until(
  subscribe: (listener: () => void) => () => void,
  check: () => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let stop: (() => void) | undefined;
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      stop?.();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const attempt = () => {
      if (settled || !check()) return;
      settled = true;
      clearTimeout(timer);
      stop?.();
      resolve();
    };
    stop = subscribe(attempt);
    attempt();
  });
}

/** `until` over a cojson value's changes. */
export function untilCojson(value: RawCoValue, check: () => boolean, what: string, timeoutMs?: number): Promise<void> {
  return until((listener) => value.core.subscribe(() => listener(), false), check, what, timeoutMs);
}

export const BINARY_CHUNK_BYTES = 100 * 1024;

/** Writes `bytes` into a new private binary stream of `group`, one transaction per 100 KiB chunk. */
export function writeCojsonFile(
  group: RawGroup,
  bytes: Uint8Array,
  info = { mimeType: "application/octet-stream", fileName: "blob.bin" },
): RawBinaryCoStream {
  const stream = group.createBinaryStream();
  stream.startBinaryStream({ ...info, totalSizeBytes: bytes.length }, "private");
  for (let offset = 0; offset < bytes.length; offset += BINARY_CHUNK_BYTES) {
    stream.pushBinaryStreamChunk(bytes.subarray(offset, offset + BINARY_CHUNK_BYTES), "private");
  }
  stream.endBinaryStream("private");
  return stream;
}

/** Loads a binary stream, waits for its end, and returns its info and bytes. */
export async function readCojsonFile(node: LocalNode, id: string) {
  const stream = await loadCojson<RawBinaryCoStream>(node, id);
  await untilCojson(stream, () => stream.isBinaryStreamEnded(), `the end of binary stream ${id}`);
  const binary = stream.getBinaryChunks();
  if (binary === undefined) throw new Error(`binary stream ${id} has no start`);
  return { mimeType: binary.mimeType, fileName: binary.fileName, finished: binary.finished, bytes: Buffer.concat(binary.chunks) };
}
