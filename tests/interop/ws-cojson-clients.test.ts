// Real cojson 0.20.19 clients (cojson-transport-ws over `ws`, WasmCrypto) syncing through a cosync
// server over real WebSockets on random ports, backed by a SQLite file: accounts, groups, private
// values edited both ways, a 5 MB BinaryCoStream, and everything loaded again by a fresh client
// after the server restarts on the same file.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SyncServer, startSyncServer } from "@cosync/server";
import { LocalNode as CojsonLocalNode, type RawAccount, type RawCoList, type RawCoMap, type RawGroup } from "cojson";
import { WebSocketPeerWithReconnection } from "cojson-transport-ws";
import { expect, test } from "vitest";
import { WebSocket } from "ws";
import {
  connectCojsonAccount,
  connectNewCojsonAccount,
  loadCojson as load,
  readCojsonFile,
  untilCojson as until,
  until as untilSignalled,
  writeCojsonFile as writeFile,
} from "../helpers/cojson-sync-server.js";
import { loadOracle } from "./oracle.js";

const FILE_BYTES = 5 * 1024 * 1024;

async function readFile(node: Parameters<typeof readCojsonFile>[0], id: string): Promise<Buffer> {
  const file = await readCojsonFile(node, id);
  expect(file).toMatchObject({ finished: true, mimeType: "application/octet-stream", fileName: "blob.bin" });
  return file.bytes;
}

async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "cosync-ws-cojson-"));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function startServer(file: string): Promise<SyncServer> {
  return startSyncServer({ port: 0, db: file, log: { level: "silent" }, processMetrics: false });
}

test("cojson clients through cosync over WebSocket: membership, private map and list edits flow both ways, a 5 MB binary stream arrives byte-exact", async () => {
  await withTempDir(async (dir) => {
    await using server = await startServer(join(dir, "sync.db"));
    const alice = await connectNewCojsonAccount(server.url, "alice");
    const bob = await connectNewCojsonAccount(server.url, "bob");
    try {
      const bobAccount = await load<RawAccount>(alice.node, bob.accountID);
      const group = alice.node.createGroup();
      group.addMember(bobAccount, "writer");
      const map = group.createMap();
      map.set("title", "shopping", "private");
      const list = group.createList();
      list.append("milk", undefined, "private");
      const bytes = randomBytes(FILE_BYTES);
      const file = writeFile(group, bytes);
      await Promise.all([group, map, list, file].map((value) => value.core.waitForSync({ timeout: 30_000 })));

      // Bob reads what alice wrote privately, as a writer of her group.
      const bobsMap = await load<RawCoMap>(bob.node, map.id);
      expect(bobsMap.get("title")).toBe("shopping");
      expect((await load<RawGroup>(bob.node, group.id)).roleOf(bob.accountID as never)).toBe("writer");
      const bobsList = await load<RawCoList>(bob.node, list.id);
      expect(bobsList.asArray()).toEqual(["milk"]);

      // Bob → alice.
      bobsMap.set("reply", "eggs too", "private");
      bobsList.append("eggs", undefined, "private");
      await until(map, () => map.get("reply") === "eggs too", "bob's map edit at alice");
      await until(list, () => list.asArray().length === 2, "bob's list edit at alice");
      expect(list.asArray()).toEqual(["milk", "eggs"]);

      // Alice → bob, on values bob has already loaded (pushed to a subscriber, not pulled).
      map.set("title", "groceries", "private");
      map.delete("reply", "private");
      await until(bobsMap, () => bobsMap.get("title") === "groceries" && bobsMap.get("reply") === undefined, "alice's edits at bob");

      const received = await readFile(bob.node, file.id);
      expect(received.length).toBe(FILE_BYTES);
      expect(received.equals(bytes)).toBe(true);

      // The server holds ciphertext only.
      const stored = [...(server.node.get(map.id as never)?.transactions() ?? [])].map((t) => JSON.stringify(t.tx));
      expect(stored.length).toBeGreaterThan(0);
      expect(stored.some((tx) => tx.includes("groceries") || tx.includes("eggs too"))).toBe(false);
    } finally {
      await alice.close();
      await bob.close();
    }
  });
});

test("cojson clients through cosync over WebSocket: after a restart on the same SQLite file a fresh client loads accounts, group, private values and the 5 MB binary stream again", async () => {
  await withTempDir(async (dir) => {
    const db = join(dir, "sync.db");
    const bytes = randomBytes(FILE_BYTES);
    const written = await (async () => {
      await using server = await startServer(db);
      const alice = await connectNewCojsonAccount(server.url, "alice");
      const bob = await connectNewCojsonAccount(server.url, "bob");
      try {
        const group = alice.node.createGroup();
        group.addMember(await load<RawAccount>(alice.node, bob.accountID), "writer");
        const map = group.createMap();
        map.set("title", "shopping", "private");
        const list = group.createList();
        list.append("milk", undefined, "private");
        const file = writeFile(group, bytes);
        await Promise.all([group, map, list, file].map((value) => value.core.waitForSync({ timeout: 30_000 })));
        const bobsMap = await load<RawCoMap>(bob.node, map.id);
        bobsMap.set("reply", "eggs too", "private");
        await bobsMap.core.waitForSync({ timeout: 30_000 });
        return {
          alice: { accountID: alice.accountID, accountSecret: alice.accountSecret },
          bob: { accountID: bob.accountID, accountSecret: bob.accountSecret },
          group: group.id,
          map: map.id,
          list: list.id,
          file: file.id,
        };
      } finally {
        await alice.close();
        await bob.close();
      }
    })();

    // A new server process would start exactly like this: same file, new port.
    await using server = await startServer(db);
    const bob = await connectCojsonAccount(server.url, written.bob);
    const alice = await connectCojsonAccount(server.url, written.alice);
    try {
      const aliceAccount = await load<RawAccount>(bob.node, written.alice.accountID);
      const profile = await load<RawCoMap>(bob.node, aliceAccount.get("profile") as string);
      expect(profile.get("name")).toBe("alice");
      const group = await load<RawGroup>(bob.node, written.group);
      expect(group.roleOf(written.bob.accountID as never)).toBe("writer");
      expect(group.roleOf(written.alice.accountID as never)).toBe("admin");
      const map = await load<RawCoMap>(bob.node, written.map);
      expect(map.toJSON()).toEqual({ title: "shopping", reply: "eggs too" });
      expect((await load<RawCoList>(bob.node, written.list)).asArray()).toEqual(["milk"]);
      const received = await readFile(bob.node, written.file);
      expect(received.equals(bytes)).toBe(true);

      // The restarted server relays again: alice's new edit reaches bob's loaded map.
      const alicesMap = await load<RawCoMap>(alice.node, written.map);
      alicesMap.set("title", "after restart", "private");
      await until(map, () => map.get("title") === "after restart", "alice's edit after the restart at bob");
    } finally {
      await bob.close();
      await alice.close();
    }
  });
});

test("cojson clients through cosync over WebSocket: a Jazz client with cojson's reconnecting peer resumes after the server restarts on the same port and file, and its offline writes arrive", async () => {
  await withTempDir(async (dir) => {
    const db = join(dir, "sync.db");
    let server = await startServer(db);
    const port = Number(new URL(server.url).port);
    const bob = await connectNewCojsonAccount(server.url, "bob");
    // Alice connects the way jazz-tools does: a WebSocketPeerWithReconnection feeding her node.
    const alice = await CojsonLocalNode.withNewlyCreatedAccount({
      creationProps: { name: "alice" },
      peers: [],
      crypto: await loadOracle(),
    });
    const connection = new WebSocketPeerWithReconnection({
      peer: server.url,
      reconnectionTimeout: 100,
      addPeer: (peer) => alice.node.syncManager.addPeer(peer),
      removePeer: (peer) => alice.node.syncManager.removePeer(peer.id),
      WebSocketConstructor: WebSocket as never,
    });
    const connected = (state: boolean) =>
      untilSignalled(
        (listener) => {
          connection.subscribe(listener);
          return () => connection.unsubscribe(listener);
        },
        () => !connection.closed === state,
        state ? "alice's connection to open" : "alice's connection to drop",
      );
    try {
      connection.enable();
      await connected(true);
      const group = alice.node.createGroup();
      group.addMember(await load<RawAccount>(alice.node, bob.accountID), "reader");
      const map = group.createMap();
      map.set("before", "the restart", "private");
      await map.core.waitForSync({ timeout: 30_000 });

      const down = connected(false);
      await server.close();
      await down;
      map.set("during", "the outage", "private");
      server = await startSyncServer({ port, db, log: { level: "silent" }, processMetrics: false });
      await connected(true);
      await map.core.waitForSync({ timeout: 30_000 });

      // Bob's plain peer died with the first server; a fresh node of his reads both writes.
      await bob.close();
      const bobAgain = await connectCojsonAccount(server.url, bob);
      try {
        const bobsMap = await load<RawCoMap>(bobAgain.node, map.id);
        expect(bobsMap.toJSON()).toEqual({ before: "the restart", during: "the outage" });
      } finally {
        await bobAgain.close();
      }
    } finally {
      connection.disable();
      await alice.node.gracefulShutdown();
      await bob.close();
      await server.close();
    }
  });
});
