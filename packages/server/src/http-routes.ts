import type { IncomingMessage, ServerResponse } from "node:http";
import { type CoCrypto, type CoId, coIdFromHash, isCoId, PROTOCOL_VERSION, signReceipt, type StorageAdapter } from "@cosync/core";
import type { ServerKey } from "./server-key.js";
import type { AuthVerdict } from "./server-options.js";
import type { ServerMetrics } from "./metrics.js";
import type { StorageHealth } from "./storage-health.js";

const SERVER_KEY_PATH = "/.well-known/cosync-server-key";
const RECEIPTS_PREFIX = "/receipts/";
/** Paths the server answers over plain HTTP (and `/receipts/<id>`); every other path upgrades to a WebSocket. */
export const httpPaths = new Set(["/health", "/ready", "/metrics", "/protocol", SERVER_KEY_PATH]);

/** Whether a path is one the server answers over plain HTTP. */
export function isHttpPath(path: string): boolean {
  return httpPaths.has(path) || path.startsWith(RECEIPTS_PREFIX);
}

/**
 * What `GET /protocol` answers: the protocol version and the extensions to cojson's wire this
 * server speaks, so a client or the conformance runner knows what to expect (cojson servers have
 * no such route). Extensions: "error-notices" (`{"error":{…}}` entries), "close-codes",
 * "receipts" (GET /receipts/<id>, signed by the key at /.well-known/cosync-server-key), and
 * "auth-tokens" when the server authenticates connections (`?auth=<token>`).
 */
export function protocolAnnouncement(authTokens: boolean) {
  return {
    name: "cosync",
    version: PROTOCOL_VERSION,
    extensions: ["error-notices", "close-codes", "receipts", ...(authTokens ? ["auth-tokens"] : [])],
  };
}

// A well-formed id no real header hashes to: a cheap storage probe for /ready.
const probeId: CoId = coIdFromHash(new Uint8Array(19));

export interface HttpContext {
  readonly storage: StorageAdapter;
  readonly storageHealth: StorageHealth;
  readonly metrics: ServerMetrics;
  readonly readyTimeoutMs: number;
  isDraining(): boolean;
  readonly crypto: CoCrypto;
  readonly serverKey: ServerKey;
  readonly now: () => number;
  /** Whether connections authenticate with tokens (announced at /protocol). */
  readonly authTokens: boolean;
  /** Who may ask for receipts (the server's authentication, if any). */
  readonly authorize: ((request: IncomingMessage) => AuthVerdict | Promise<AuthVerdict>) | undefined;
  /** Why this process cannot hear the other processes of its cluster, if it is in one. */
  clusterProblem?(): string | undefined;
}

/** The path of a request URL, without query. */
export function pathOf(url: string | undefined): string {
  const path = (url ?? "/").split("?", 1)[0] ?? "/";
  return path === "" ? "/" : path;
}

/**
 * `GET /health` (the process runs), `GET /protocol` (version and extensions), `GET /ready` (storage answers and did not fail on the sync path
 * since its last commit; not draining), `GET /metrics`.
 */
export async function handleHttpRequest(ctx: HttpContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = pathOf(request.url);
  if (!isHttpPath(path)) {
    return json(response, 426, {
      error: `this is a sync server: connect with a WebSocket, or GET /health, /ready, /metrics, /protocol, ${SERVER_KEY_PATH} or ${RECEIPTS_PREFIX}<id>`,
    });
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.setHeader("allow", "GET, HEAD");
    return json(response, 405, { error: `${String(request.method)} is not allowed on ${path}` });
  }
  if (path.startsWith(RECEIPTS_PREFIX)) {
    let id: string;
    try {
      id = decodeURIComponent(path.slice(RECEIPTS_PREFIX.length));
    } catch {
      return json(response, 400, { error: "the id in the path is not valid percent-encoding" });
    }
    return receipt(ctx, request, response, id);
  }
  switch (path) {
    case SERVER_KEY_PATH:
      return json(response, 200, { signer: ctx.serverKey.signer, algorithm: "ed25519", use: "durability receipts (GET /receipts/<id>)" });
    case "/health":
      return json(response, 200, { status: "ok" });
    case "/protocol":
      return json(response, 200, protocolAnnouncement(ctx.authTokens));
    case "/ready": {
      if (ctx.isDraining()) return json(response, 503, { status: "draining" });
      // A process deaf to the bus serves stale values until it catches up: route clients elsewhere.
      const problem = (await probeStorage(ctx.storage, ctx.storageHealth, ctx.readyTimeoutMs)) ?? ctx.clusterProblem?.();
      return problem === undefined ? json(response, 200, { status: "ready" }) : json(response, 503, { status: "unavailable", error: problem });
    }
    default: {
      const { contentType, body } = await ctx.metrics.render();
      response.writeHead(200, { "content-type": contentType });
      response.end(body);
    }
  }
}

/**
 * `GET /receipts/<id>`: the server's signature on the known state of `id` its storage holds
 * committed — read from storage, never from memory, so nothing not yet durable is ever vouched for.
 */
async function receipt(ctx: HttpContext, request: IncomingMessage, response: ServerResponse, id: string): Promise<void> {
  if (ctx.authorize !== undefined) {
    const verdict = await ctx.authorize(request);
    if (!verdict.ok || verdict.anonymous === true) {
      const banned = !verdict.ok && verdict.reason.endsWith("is banned from this server");
      return json(response, banned ? 403 : 401, { error: verdict.ok ? "receipts are for authenticated accounts: pass ?auth=<token>" : verdict.reason });
    }
  }
  if (!isCoId(id)) return json(response, 400, { error: `${JSON.stringify(id.slice(0, 60))} is not a CoValue id` });
  const state = await ctx.storage.knownState(id);
  if (state === undefined) return json(response, 404, { error: `${id} is not stored on this server` });
  return json(response, 200, signReceipt(ctx.crypto, ctx.serverKey.secret, state, ctx.now()));
}

/** A cheap storage call; undefined if it answered in time, else what went wrong. */
async function probeStorage(storage: StorageAdapter, health: StorageHealth, timeoutMs: number): Promise<string | undefined> {
  // Reads can still work while no write can (SQLite's writer thread gone): not ready either.
  const writeProblem = storage.writeProblem?.();
  if (writeProblem !== undefined) return `storage cannot write: ${writeProblem}`;
  // A probe can succeed while real reads and appends fail (a flaky disk or database).
  if (health.problem !== undefined) return `storage failed while syncing: ${health.problem}`;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`storage did not answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([storage.knownState(probeId).then(() => undefined), timeout]);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}

function json(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  response.end(JSON.stringify(body));
}
