// A real cojson 0.20.19 sync server, built from cojson's APIs the way jazz-run's `sync` command
// does (spec/cojson-oracle-recipes.md; same as tests/helpers/cojson-sync-server.ts): a LocalNode
// with a random agent, cojson's SQLite storage over better-sqlite3 (WAL), the garbage collector on,
// one cojson-transport-ws peer per connection, a ping every 1.5 s, and /health.
// Crypto: "wasm" (the default) is what `jazz-run sync` builds, `cojson/crypto/WasmCrypto`; "napi" is
// `cojson/crypto/NapiCrypto` over the native cojson-core-napi module, cojson's fastest crypto on
// Node (imported only when asked for, so the wasm server needs no native module).
// Used by bench/server.mjs (in a child process) and by the interop tests (tests/helpers/cojson-sync-server.ts).
// Not a suite of its own: bench/run.mjs skips it.
import { createServer } from "node:http";
import Database from "better-sqlite3";
import { getSqliteStorage, LocalNode, LogLevel, logger } from "cojson";
import { createWebSocketPeer } from "cojson-transport-ws";
import { WebSocketServer } from "ws";

logger.setLevel(LogLevel.ERROR);

/** cojson's five-method SQLite seam over better-sqlite3, with prepared statements cached. */
function sqliteDriver(db) {
  const statements = new Map();
  const prepared = (sql) => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  return {
    run: (sql, params) => {
      prepared(sql).run(...(params ?? []));
    },
    get: (sql, params) => prepared(sql).get(...(params ?? [])),
    query: (sql, params) => prepared(sql).all(...(params ?? [])),
    transaction: (callback) => {
      db.transaction(callback)();
    },
    closeDb: () => db.close(),
  };
}

/** The crypto providers the server can run on: `crypto` option → how to create it. */
export const COJSON_CRYPTO = {
  wasm: {
    module: "cojson/crypto/WasmCrypto",
    create: async () => (await import("cojson/crypto/WasmCrypto")).WasmCrypto.create(),
  },
  napi: {
    module: "cojson/crypto/NapiCrypto",
    create: async () => (await import("cojson/crypto/NapiCrypto")).NapiCrypto.create(),
  },
};

/**
 * Starts a cojson sync server on 127.0.0.1 over the SQLite `file` (created if missing), with
 * `crypto` "wasm" (default, as jazz-run) or "napi".
 * Resolves with `{ url, port, node, close }`; `close()` terminates sockets, shuts the node down
 * gracefully, closes the database and the HTTP server.
 */
export async function startCojsonSyncServer({ file, port = 0, pingIntervalMs = 1500, synchronous, crypto: cryptoName = "wasm" }) {
  const provider = COJSON_CRYPTO[cryptoName];
  if (provider === undefined) throw new TypeError(`crypto: expected "wasm" or "napi", got ${cryptoName}`);
  const crypto = await provider.create();
  const agentSecret = crypto.newRandomAgentSecret();
  const node = new LocalNode(agentSecret, crypto.newRandomSessionID(crypto.getAgentID(agentSecret)), crypto);
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  // jazz-run sets nothing else; `synchronous` ("normal" | "full") is only for comparisons.
  if (synchronous !== undefined) db.pragma(`synchronous = ${synchronous === "normal" ? "NORMAL" : "FULL"}`);
  node.setStorage(getSqliteStorage(sqliteDriver(db)));
  node.enableGarbageCollector();

  const sockets = new Set();
  const http = createServer((request, response) => {
    response.writeHead(request.url === "/health" ? 200 : 404);
    response.end();
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  let connection = 0;
  http.on("upgrade", (request, socket, head) => {
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws);
      const ping = setInterval(() => ws.send(JSON.stringify({ type: "ping", time: Date.now(), dc: "unknown" })), pingIntervalMs);
      ws.on("close", () => {
        clearInterval(ping);
        sockets.delete(ws);
      });
      node.syncManager.addPeer(
        createWebSocketPeer({
          id: `${request.socket.remoteAddress ?? "unknown"}@${new Date().toISOString()}#${++connection}`,
          role: "client",
          websocket: ws,
          expectPings: false,
          batchingByDefault: false,
          deletePeerStateOnClose: true,
        }),
      );
    });
  });
  await new Promise((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, "127.0.0.1", () => {
      http.off("error", reject);
      resolve();
    });
  });
  const actualPort = http.address().port;

  let closing;
  const close = () => {
    closing ??= (async () => {
      for (const ws of sockets) ws.terminate();
      await node.gracefulShutdown();
      db.close();
      wss.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(() => resolve()));
    })();
    return closing;
  };
  return { url: `ws://127.0.0.1:${actualPort}`, port: actualPort, node, close };
}
