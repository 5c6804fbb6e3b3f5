import type { IncomingMessage, ServerResponse } from "node:http";
import { type CoId, coIdFromHash, PROTOCOL_VERSION, type StorageAdapter } from "@cosync/core";
import type { ServerMetrics } from "./metrics.js";
import type { StorageHealth } from "./storage-health.js";

/** Paths the server answers over plain HTTP; every other path upgrades to a WebSocket. */
export const httpPaths = new Set(["/health", "/ready", "/metrics", "/protocol"]);

/**
 * What `GET /protocol` answers: the protocol version and the extensions to cojson's wire this
 * server speaks, so a client or the conformance runner knows what to expect (cojson servers have
 * no such route). Extensions: "error-notices" (`{"error":{…}}` entries), "close-codes".
 */
export const protocolAnnouncement = { name: "cosync", version: PROTOCOL_VERSION, extensions: ["error-notices", "close-codes"] } as const;

// A well-formed id no real header hashes to: a cheap storage probe for /ready.
const probeId: CoId = coIdFromHash(new Uint8Array(19));

export interface HttpContext {
  readonly storage: StorageAdapter;
  readonly storageHealth: StorageHealth;
  readonly metrics: ServerMetrics;
  readonly readyTimeoutMs: number;
  isDraining(): boolean;
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
  if (!httpPaths.has(path)) {
    return json(response, 426, { error: "this is a sync server: connect with a WebSocket, or GET /health, /ready, /metrics or /protocol" });
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.setHeader("allow", "GET, HEAD");
    return json(response, 405, { error: `${String(request.method)} is not allowed on ${path}` });
  }
  switch (path) {
    case "/health":
      return json(response, 200, { status: "ok" });
    case "/protocol":
      return json(response, 200, protocolAnnouncement);
    case "/ready": {
      if (ctx.isDraining()) return json(response, 503, { status: "draining" });
      const problem = await probeStorage(ctx.storage, ctx.storageHealth, ctx.readyTimeoutMs);
      return problem === undefined ? json(response, 200, { status: "ready" }) : json(response, 503, { status: "unavailable", error: problem });
    }
    default: {
      const { contentType, body } = await ctx.metrics.render();
      response.writeHead(200, { "content-type": contentType });
      response.end(body);
    }
  }
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
