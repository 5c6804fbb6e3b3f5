// Runs in a scratch project that installed the packed @cosync/* tarballs (see pack-install.test.ts),
// so every import below resolves the way it does for a user: through each package's `exports` into
// its dist/, with only the dependencies its package.json declares.
// Alice creates a group and a private map, adds Bob (a second account) as a reader, and Bob, on his
// own node, loads the map through a real server on embedded SQLite and reads the value.
// Prints "bob read: <value>" and exits 0, or prints what went wrong and exits 1.
import { join } from "node:path";
import { createAccountNode } from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { startSyncServer } from "@cosync/server";
import { openSqliteStorage } from "@cosync/storage-sqlite";
import { createReconnectingConnection } from "@cosync/transport-ws";
import WebSocket from "ws";

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error("usage: node two-accounts.mjs <data-dir>");

const server = await startSyncServer({
  host: "127.0.0.1",
  port: 0,
  db: join(dataDir, "server.db"),
  processMetrics: false,
  log: { level: "silent" },
});
const crypto = await loadNodeCryptoProvider();
const alice = createAccountNode({ crypto, storage: await openSqliteStorage({ file: join(dataDir, "alice.db") }), name: "Alice" });
const bob = createAccountNode({ crypto, storage: await openSqliteStorage({ file: join(dataDir, "bob.db") }), name: "Bob" });
const connections = [alice, bob].map((node) =>
  createReconnectingConnection({ url: server.url, WebSocket, onChannel: (channel) => node.syncManager.addPeer(channel) }),
);

try {
  // Alice can add Bob only once she has his account (its agent is whom the group's key is sealed to).
  await bob.account.waitForSync();
  const bobAccount = await alice.load(bob.accountId);
  if (bobAccount.status !== "loaded") throw new Error(`alice could not load bob's account: ${JSON.stringify(bobAccount)}`);

  const group = alice.createGroup();
  group.addMember(bob.accountId, "reader");
  const map = group.createMap({ greeting: "hello from alice" });
  await map.waitForSync();

  const loaded = await bob.load(map.id);
  if (loaded.status !== "loaded") throw new Error(`bob could not load the map: ${JSON.stringify(loaded)}`);
  console.log(`bob read: ${bob.getMap(map.id)?.get("greeting")}`);
} finally {
  for (const connection of connections) await connection.stop();
  await alice.close();
  await bob.close();
  await server.close();
}
