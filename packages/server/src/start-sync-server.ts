import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type AdmitContent, CloseCode, CoCrypto, createLocalNode, mintSignupToken, type SignerId, type LocalNode, type Logger, LogThrottle, systemClock } from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { acceptWebSocket, type FrameError, type WebSocketChannel } from "@cosync/transport-ws";
import { type WebSocket, WebSocketServer } from "ws";
import { type AuthOutcome, authenticateUpgrade } from "./authenticate-upgrade.js";
import { createTokenAuthenticator } from "./token-auth.js";
import { type ConnectionIdentity, GuardedChannel } from "./connection-guard.js";
import type { GuardContext, GuardLimits } from "./guard-context.js";
import { handleHttpRequest, isHttpPath, pathOf } from "./http-routes.js";
import { loadOrCreateServerKey, type ServerKey } from "./server-key.js";
import { type RefusalReason, ServerMetrics, type TrackedConnection } from "./metrics.js";
import { openServerStorage } from "./open-server-storage.js";
import { limitsAnything, AccountRateLimiter, QuotaLedger, RateBudget } from "./account-limits.js";
import { createMessageTrace } from "./message-trace.js";
import { createServerLogger } from "./server-logger.js";
import { StorageHealth } from "./storage-health.js";
import { createVerifiedAdmission } from "./verified-admission.js";
import { type AuthVerdict, resolveServerOptions, serverDefaults, type SyncServerOptions } from "./server-options.js";
import { type Cluster, startCluster } from "./cluster/start-cluster.js";

/** A running sync server. */
export interface SyncServer extends AsyncDisposable {
  /** `ws://host:port`, with the real port when started on port 0. */
  readonly url: string;
  /** The server's node: no account, a random agent, never holds read keys. */
  readonly node: LocalNode;
  /** The server's own signer id: durability receipts and sign-up tokens are signed by it. */
  readonly serverSigner: SignerId;
  /** A sign-up token for `auth.signup: "invite"` (valid `ttlMs`, default 7 days; any number of uses until then). */
  issueSignupToken(ttlMs?: number): string;
  /**
   * Stops accepting connections, waits (up to `drainTimeoutMs`) until content received before the
   * call is committed and acknowledged, flushes storage, then closes peers with ServerDraining
   * (4503) after what is queued for them, and closes what it opened.
   */
  close(): Promise<void>;
}

// How long closed connections get to finish the WebSocket closing handshake before being cut.
const CLOSE_GRACE_MS = 1000;

/**
 * Starts a blind sync server: a LocalNode with no account that verifies, stores and relays
 * content for WebSocket clients (cojson's wire format), with health, readiness and Prometheus
 * endpoints, an optional authentication hook, limits, and graceful shutdown.
 */
export async function startSyncServer(options: SyncServerOptions = {}): Promise<SyncServer> {
  const config = resolveServerOptions(options);
  const logger = (options.logger ?? createServerLogger(options.log)) as Logger;
  const clock = options.clock ?? systemClock();
  const crypto = options.crypto ?? (await loadNodeCryptoProvider());
  const opened = await openServerStorage(config.storage);
  let serverKey: ServerKey;
  try {
    serverKey = await loadOrCreateServerKey(new CoCrypto(crypto), config.serverKeyFile);
  } catch (error) {
    if (opened.owned) await opened.storage.close();
    throw error;
  }
  const { storage } = opened;
  const storageHealth = new StorageHealth();
  const metrics = new ServerMetrics({ processMetrics: options.processMetrics ?? true, storageHealth });
  const limits = config.limits;
  // Verified content is admitted by the guards' shared policy, which needs the node it serves.
  let admitVerified: AdmitContent | undefined;
  // Commits are announced to the other processes of a cluster (the link needs the node too).
  let cluster: Cluster | undefined;
  const syncEvents = storageHealth.observe(metrics.syncEvents);
  const node = createLocalNode({
    crypto,
    storage,
    clock,
    logger,
    sync: {
      events: config.cluster === undefined ? syncEvents : { ...syncEvents, committed: (id, sessions) => cluster?.link.committed(id, sessions) },
      admitContent: (peer, request) => admitVerified?.(peer, request) ?? { ok: true },
      yieldToEventLoop: () => new Promise((resolve) => setImmediate(resolve)),
      // A server has no server to wait for: a value neither in memory nor in storage is unknown.
      waitForServerMs: 0,
      ...limits.parking,
    },
    gc: config.gc,
  });
  metrics.attachNode(node);
  if (config.cluster !== undefined) {
    try {
      cluster = await startCluster(config.cluster, node, logger, metrics.registry);
    } catch (error) {
      await node.close();
      if (opened.owned) await storage.close();
      throw error;
    }
  }

  const guardLimits: GuardLimits = {
    maxMessageBytes: limits.maxMessageBytes,
    connection: limitsAnything(limits.connection) ? limits.connection : undefined,
    noticesPerSecond: limits.noticesPerSecond,
    connectionQuotaBytes: limits.connectionQuotaBytes,
  };
  const guardContext: GuardContext = {
    clock,
    node,
    logger,
    accounts: limitsAnything(limits.account) ? new AccountRateLimiter(limits.account, clock) : undefined,
    unauthenticated: limitsAnything(limits.unauthenticated) ? new RateBudget(limits.unauthenticated, clock) : undefined,
    quota:
      limits.storageQuotaBytes === undefined
        ? undefined
        : await QuotaLedger.open(limits.storageQuotaBytes, storage, (error) => logger.error({ err: error }, "could not persist storage quota usage")),
    bans: limits.bans,
    observer: metrics.guardObserver,
    closeBanned: limits.closeBanned,
    refusalLog: new LogThrottle(100),
    maxHeaderBytes: limits.maxHeaderBytes,
    trace: createMessageTrace(logger),
  };
  admitVerified = createVerifiedAdmission(guardContext);
  metrics.attachQuota(guardContext.quota);
  let listeningUrl: string | undefined;
  const auth = config.auth;
  const authenticate =
    auth === undefined
      ? options.authenticate
      : createTokenAuthenticator(auth, {
          crypto: node.crypto,
          node,
          now: () => clock.now(),
          audiences: () => auth.audience ?? (listeningUrl === undefined ? [] : audiencesFor(listeningUrl)),
          serverSigner: serverKey.signer,
        });

  // HTTP routes that need it (receipts) ask the same authentication as connections, bans included.
  const authorizeHttp = async (request: IncomingMessage): Promise<AuthVerdict> => {
    const outcome = await authenticateUpgrade(authenticate, request, config.authenticateTimeoutMs);
    if (outcome.type !== "Decided") return { ok: false, reason: "authentication failed on the server" };
    const verdict = outcome.verdict;
    if (verdict.ok && verdict.accountId !== undefined && limits.bans?.has(verdict.accountId) === true) {
      return { ok: false, reason: `${verdict.accountId} is banned from this server` };
    }
    return verdict;
  };

  const connections = new Map<GuardedChannel, { readonly ws: WebSocket; readonly tracked: TrackedConnection }>();
  let admitting = 0;
  let connectionCount = 0;
  let draining = false;

  const http: Server = createServer((request, response) => {
    const httpContext = {
      storage,
      storageHealth,
      metrics,
      readyTimeoutMs: serverDefaults.readyTimeoutMs,
      isDraining: () => draining,
      crypto: node.crypto,
      serverKey,
      now: () => clock.now(),
      authorize: authenticate === undefined ? undefined : authorizeHttp,
      authTokens: auth !== undefined,
      clusterProblem: () => cluster?.link.problem,
    };
    handleHttpRequest(httpContext, request, response).catch(
      (error: unknown) => {
        // The path only: a query may carry a token.
        logger.error({ err: error, path: pathOf(request.url) }, "HTTP handler failed");
        if (!response.headersSent) response.writeHead(500);
        response.end();
      },
    );
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes, perMessageDeflate: false, clientTracking: false });

  const refuse = (socket: Duplex, status: number, message: string, reason: RefusalReason) => {
    metrics.connectionRefused(reason);
    // The client hears the account id; logs name accounts only by a short hash.
    logger.info({ status, reason, detail: message.replace(/co_z[1-9A-HJ-NP-Za-km-z]+/g, (id) => `account#${hashedAccount(id)}`) }, "refused a connection");
    if (socket.destroyed) return;
    const body = JSON.stringify({ error: message });
    socket.end(
      `HTTP/1.1 ${status} ${statusText[status] ?? "Error"}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  };

  const admit = async (request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    socket.on("error", (error) => logger.debug({ err: error }, "socket error during upgrade"));
    if (draining) return refuse(socket, 503, "the server is shutting down", "draining");
    if (isHttpPath(pathOf(request.url))) return refuse(socket, 404, `${pathOf(request.url)} does not upgrade to a WebSocket`, "path");
    if (connectionCount + admitting >= limits.maxConnections) {
      return refuse(socket, 503, `the server has reached its limit of ${limits.maxConnections} connections`, "capacity");
    }
    admitting++;
    let outcome: AuthOutcome;
    try {
      outcome = await authenticateUpgrade(authenticate, request, config.authenticateTimeoutMs);
    } finally {
      admitting--;
    }
    if (outcome.type === "Failed") {
      logger.error({ err: outcome.error }, "authenticate hook failed");
      return refuse(socket, 500, "authentication failed on the server", "auth_error");
    }
    if (outcome.type === "TimedOut") {
      logger.error({ timeoutMs: outcome.timeoutMs, path: pathOf(request.url) }, "authenticate hook did not settle in time");
      return refuse(socket, 504, `authentication did not finish within ${outcome.timeoutMs} ms`, "auth_timeout");
    }
    const verdict = outcome.verdict;
    if (!verdict.ok) return refuse(socket, 401, verdict.reason, "unauthorized");
    if (verdict.accountId !== undefined && limits.bans?.has(verdict.accountId) === true) {
      return refuse(socket, 403, `${verdict.accountId} is banned from this server`, "banned");
    }
    if (draining) return refuse(socket, 503, "the server is shutting down", "draining");
    if (socket.destroyed) return;
    // The slot is held only while ws completes the upgrade: ws answers malformed upgrades (no key,
    // wrong version, a half-closed socket) itself and never calls back, so release it on close.
    connectionCount++;
    let upgraded = false;
    socket.once("close", () => {
      if (!upgraded) connectionCount--;
    });
    wss.handleUpgrade(request, socket, head, (ws) => {
      upgraded = true;
      try {
        connect(ws, request, socket as Socket, verdict.ok ? identityOf(verdict) : {});
      } catch (error) {
        // Failed before its close was tracked (connect handles failures after that itself).
        connectionCount--;
        logger.error({ err: error }, "could not set up the connection");
        ws.terminate();
      }
    });
  };

  let connectionNumber = 0;
  const connect = (ws: WebSocket, request: IncomingMessage, socket: Socket, identity: ConnectionIdentity) => {
    const accountId = identity.accountId;
    const peerId = `${request.socket.remoteAddress ?? "unknown"}@${new Date(clock.now()).toISOString()}#${++connectionNumber}`;
    let guard: GuardedChannel | undefined;
    ws.on("error", (error) => {
      // ws closes the socket itself (1009 for an oversize frame, 1002 for a protocol error).
      metrics.frameError(error.message.includes("Max payload") ? "FrameTooBig" : "SocketError");
      logger.warn({ err: error, peer: peerId }, "WebSocket error");
    });
    const onProtocolError = (error: FrameError) => {
      metrics.frameError(error.type);
      guard?.refuse(error.type === "FrameTooBig" ? "TooLarge" : "MalformedMessage", error.message);
    };
    const channel: WebSocketChannel = acceptWebSocket(ws, {
      peerId,
      role: "client",
      maxFrameBytes: limits.maxFrameBytes,
      pingIntervalMs: config.pingIntervalMs,
      onProtocolError,
      now: () => clock.now(),
    });
    guard = new GuardedChannel(channel, guardLimits, guardContext, identity);
    const tracked: TrackedConnection = {
      socket,
      bufferedAmount: () => ws.bufferedAmount,
      queued: () => queuedOf(channel),
      dropped: () => channel.stats.dropped,
    };
    connections.set(guard, { ws, tracked });
    const authKind = identity.agentId !== undefined ? "token" : accountId !== undefined ? "hook" : identity.anonymous === true ? "anonymous" : "none";
    metrics.connectionOpened(tracked, authKind);
    const closedGuard = guard;
    const openedAt = clock.now();
    // Registered before anything else can fail, so a failed set-up is released by its close.
    void channel.closed.then((reason) => {
      connections.delete(closedGuard);
      connectionCount--;
      metrics.connectionClosed(tracked);
      // Per connection, so debug: a busy server opens thousands a minute.
      logger.debug(
        { peer: peerId, code: reason.code, reason: reason.reason, durationMs: clock.now() - openedAt, ...closedGuard.stats, connections: connectionCount },
        "connection closed",
      );
    });
    try {
      node.syncManager.addPeer(guard);
      // Account ids are pseudonyms, yet link a person's activity: logs carry a short hash of them.
      logger.debug(
        { peer: peerId, ...(accountId === undefined ? {} : { account: hashedAccount(accountId) }), auth: authKind, connections: connectionCount },
        "connection opened",
      );
    } catch (error) {
      logger.error({ err: error, peer: peerId }, "could not set up the connection");
      ws.terminate();
    }
  };

  http.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    admit(request, socket, head).catch((error: unknown) => {
      logger.error({ err: error }, "upgrade failed");
      socket.destroy();
    });
  });

  try {
    await listen(http, config.host, config.port);
  } catch (error) {
    await cluster?.close();
    await node.close();
    if (opened.owned) await storage.close();
    throw error;
  }
  const address = http.address();
  const port = typeof address === "object" && address !== null ? address.port : config.port;
  const url = `ws://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  listeningUrl = url;
  const authSummary =
    auth !== undefined
      ? { mode: auth.mode, signup: auth.signup, ...(auth.mode === "optional" ? { anonymous: auth.anonymous } : {}), audience: auth.audience ?? audiencesFor(url) }
      : options.authenticate !== undefined
        ? "authenticate hook"
        : "off (anyone may connect and write, as with cojson's server)";
  logger.info({ url, storage: opened.description, auth: authSummary, limits: describeLimits(limits) }, "sync server started");
  if (authenticate === undefined && (limits.storageQuotaBytes !== undefined || limitsAnything(limits.account))) {
    logger.warn(
      { storageQuotaBytes: limits.storageQuotaBytes, account: limits.account },
      "per-account limits apply only to authenticated connections, and no authentication is on (--auth, or startSyncServer's auth or authenticate): only the per-connection limits bound clients",
    );
  }

  // Acks are sent only once content is committed: closing sockets first would cut them off and
  // leave clients unsure of what the server kept. Connections stay open (and are still served)
  // while content received before close() settles; storage writes then finish, sending their acks.
  const drain = async (timeoutMs: number): Promise<void> => {
    const busy = node.syncManager.receiving;
    if (busy > 0) logger.info({ connections: busy }, "draining: waiting for received content to be stored and acknowledged");
    if (!(await settlesWithin(node.syncManager.settled(), timeoutMs))) {
      logger.warn({ connections: node.syncManager.receiving, timeoutMs }, "draining timed out: closing connections with content not acknowledged (clients resend it)");
    }
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      draining = true;
      const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
      await drain(config.drainTimeoutMs);
      const sockets = [...connections.values()].map(({ ws }) => ws);
      // A channel writes what is queued (the acks just sent) before its close frame.
      for (const guard of connections.keys()) guard.close({ code: CloseCode.ServerDraining, reason: "server draining" });
      // Storage that hangs (e.g. a database that stopped answering) must not hang shutdown: what
      // it never committed was never acknowledged, and clients resend it.
      const flushed = (async () => {
        await node.close();
        await guardContext.quota?.flush();
        // After the last commits (their notices go out), before storage closes under its refreshes.
        await cluster?.close();
        if (opened.owned) await storage.close();
      })();
      if (!(await settlesWithin(flushed, config.drainTimeoutMs))) {
        logger.error({ timeoutMs: config.drainTimeoutMs }, "storage did not finish flushing: stopping without it (unacknowledged writes are resent by clients)");
      }
      await Promise.all(sockets.map((ws) => socketClosed(ws, CLOSE_GRACE_MS)));
      wss.close();
      http.closeAllConnections();
      await httpClosed;
      logger.info({ url }, "sync server stopped");
    })();
    return closing;
  };

  const issueSignupToken = (ttlMs = 7 * 24 * 60 * 60 * 1000) => mintSignupToken(node.crypto, serverKey.secret, { ttlMs, now: clock.now() });
  return { url, node, serverSigner: serverKey.signer, issueSignupToken, close, [Symbol.asyncDispose]: close };
}

/** The limits in force, for the start-up log line (bans by count: the list may be long). */
function describeLimits(limits: ReturnType<typeof resolveServerOptions>["limits"]): object {
  const { bans, ...rest } = limits;
  return { ...rest, bans: bans?.size ?? 0 };
}

/** Whether `promise` settles within `ms` (a rejection counts as settled; it is not rethrown). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  const within = await Promise.race([settled, timedOut]);
  clearTimeout(timer);
  return within;
}

const statusText: Record<number, string> = {
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  500: "Internal Server Error",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

function listen(http: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    http.once("error", onError);
    http.listen(port, host, () => {
      http.off("error", onError);
      resolve();
    });
  });
}

/** Resolves once the socket closed; cuts it after `graceMs` if the peer never answers the close frame. */
function socketClosed(ws: WebSocket, graceMs: number): Promise<void> {
  if (ws.readyState === ws.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => ws.terminate(), graceMs);
    ws.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Per-priority queue depth, if the transport's channel exposes it as `queued`. */
function queuedOf(channel: WebSocketChannel): Readonly<Record<number, number>> | undefined {
  const queued = (channel as { readonly queued?: unknown }).queued;
  return queued !== null && typeof queued === "object" ? (queued as Record<number, number>) : undefined;
}

function identityOf(verdict: AuthVerdict & { ok: true }): ConnectionIdentity {
  return {
    ...(verdict.accountId === undefined ? {} : { accountId: verdict.accountId }),
    ...(verdict.agentId === undefined ? {} : { agentId: verdict.agentId }),
    ...(verdict.anonymous === true ? { anonymous: true } : {}),
  };
}

/** A short, stable pseudonym of an account id for logs (the first 12 hex digits of its SHA-256). */
function hashedAccount(accountId: string): string {
  return createHash("sha256").update(accountId).digest("hex").slice(0, 12);
}

/**
 * The audiences a server accepts by default: its listening URL, and for a loopback address the
 * other names of it (a client dialling ws://localhost:4200 reaches ws://127.0.0.1:4200).
 */
function audiencesFor(url: string): string[] {
  const { hostname, port } = new URL(url);
  const loopback = ["127.0.0.1", "localhost", "[::1]"];
  return loopback.includes(hostname) ? loopback.map((host) => `ws://${host}:${port}`) : [url];
}
