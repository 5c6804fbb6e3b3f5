// cosync clients (createAccountNode + connectWebSocket) syncing through a real cojson 0.20.19 sync
// server (jazz-run's recipe: cojson SQLite storage, GC, cojson-transport-ws) over real WebSockets:
// accounts, a group with a second cosync member and a real cojson member, private map edits both
// ways, a 5 MB binary stream, and everything loaded again after the server restarts on the same
// SQLite file.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AgentSecret,
  CoCrypto,
  type CoId,
  createAccountNode,
  createLocalNode,
  createMemoryStorage,
  type LocalNode,
} from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { connectWebSocket, createReconnectingConnection, type WebSocketChannel } from "@cosync/transport-ws";
import type { RawCoMap, RawGroup } from "cojson";
import { expect, test } from "vitest";
import { WebSocket } from "ws";
import {
  type CojsonSyncServer,
  connectCojsonAccount,
  connectNewCojsonAccount,
  loadCojson,
  readCojsonFile,
  startCojsonSyncServer,
  until,
  untilCojson,
} from "../helpers/cojson-sync-server.js";

const FILE_BYTES = 5 * 1024 * 1024;
const file = { mimeType: "application/octet-stream", fileName: "blob.bin" } as const;

async function cosyncCrypto(): Promise<CoCrypto> {
  return new CoCrypto(await loadNodeCryptoProvider());
}

/** Connects a cosync node to `server` over WebSocket; returns a function that disconnects it. */
async function connect(node: LocalNode, server: CojsonSyncServer): Promise<() => Promise<void>> {
  const channel = await connectWebSocket({ url: server.url, WebSocket: WebSocket as never });
  node.syncManager.addPeer(channel);
  return async () => {
    await node.close();
    await channel.closed;
  };
}

async function newCosyncAccount(server: CojsonSyncServer, name: string) {
  const node = createAccountNode({ crypto: await cosyncCrypto(), storage: createMemoryStorage(), gc: false, name });
  const disconnect = await connect(node, server);
  await node.syncManager.waitForAllSynced();
  return { node, disconnect };
}

/** A fresh cosync node (new session, empty storage) acting for an existing account. */
async function existingCosyncAccount(server: CojsonSyncServer, account: { readonly accountId: CoId; readonly agentSecret: AgentSecret }) {
  const node = createLocalNode({ crypto: await cosyncCrypto(), storage: createMemoryStorage(), gc: false, ...account });
  const disconnect = await connect(node, server);
  expect((await node.load(account.accountId)).status).toBe("loaded");
  return { node, disconnect };
}

async function loadCosync(node: LocalNode, id: CoId): Promise<void> {
  const outcome = await node.load(id);
  if (outcome.status !== "loaded") throw new Error(`${id} is unavailable to ${node.accountId ?? node.agentId}`);
}

function untilCosync(node: LocalNode, id: CoId, check: () => boolean, what: string): Promise<void> {
  const handle = node.get(id);
  if (handle === undefined) throw new Error(`${id} is not loaded`);
  return until((listener) => handle.subscribe(listener), check, what);
}

async function readCosyncFile(node: LocalNode, id: CoId): Promise<Uint8Array> {
  await loadCosync(node, id);
  const stream = () => node.getBinaryStream(id);
  await untilCosync(node, id, () => stream()?.content.isComplete === true, `the end of binary stream ${id}`);
  expect(stream()?.content.info()).toMatchObject(file);
  const bytes = stream()?.toBytes();
  if (bytes === undefined) throw new Error(`binary stream ${id} has no bytes`);
  return bytes;
}

async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "cosync-ws-cojson-server-"));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("cosync clients through a cojson server over WebSocket: a group with a cosync and a cojson member, private map edits both ways, a 5 MB binary stream byte-exact", async () => {
  await withTempDir(async (dir) => {
    await using server = await startCojsonSyncServer({ file: join(dir, "cojson.db") });
    const alice = await newCosyncAccount(server, "alice");
    const bob = await newCosyncAccount(server, "bob");
    const carol = await connectNewCojsonAccount(server.url, "carol");
    try {
      const bobId = bob.node.accountId as CoId;
      const carolId = carol.accountID as CoId;
      await loadCosync(alice.node, bobId);
      await loadCosync(alice.node, carolId);
      const group = alice.node.createGroup();
      group.addMember(bobId, "writer");
      group.addMember(carolId, "writer");
      const map = group.createMap({ title: "shopping" });
      const bytes = randomBytes(FILE_BYTES);
      const stream = group.createBinaryStream();
      stream.writeBytes(bytes, file);
      await alice.node.syncManager.waitForAllSynced();
      expect([...map.transactions()].map(({ tx }) => tx.privacy)).toEqual(["private"]);
      // The cojson server verified and holds everything alice wrote.
      expect(server.node.getCoValue(map.id as never).knownState().sessions).toEqual(map.knownState().sessions);

      // cosync → cosync and cosync → cojson, private.
      await loadCosync(bob.node, map.id);
      const bobsMap = () => bob.node.getMap(map.id);
      expect(bobsMap()?.get("title")).toBe("shopping");
      expect(bob.node.getGroup(group.id)?.roleOf(bobId)).toBe("writer");
      const carolsMap = await loadCojson<RawCoMap>(carol.node, map.id);
      expect(carolsMap.get("title")).toBe("shopping");
      expect((await loadCojson<RawGroup>(carol.node, group.id)).roleOf(carolId as never)).toBe("writer");

      // Edits both ways: bob and carol write, everyone sees everything.
      bobsMap()?.set("bob", "eggs");
      carolsMap.set("carol", "milk", "private");
      await untilCosync(
        alice.node,
        map.id,
        () => map.get("bob") === "eggs" && map.get("carol") === "milk",
        "bob's and carol's edits at alice",
      );
      await untilCosync(bob.node, map.id, () => bobsMap()?.get("carol") === "milk", "carol's edit at bob");
      await untilCojson(carolsMap, () => carolsMap.get("bob") === "eggs", "bob's edit at carol");
      map.set("title", "groceries");
      await untilCosync(bob.node, map.id, () => bobsMap()?.get("title") === "groceries", "alice's edit at bob");
      await untilCojson(carolsMap, () => carolsMap.get("title") === "groceries", "alice's edit at carol");
      expect(map.toJSON()).toEqual({ title: "groceries", bob: "eggs", carol: "milk" });

      // The 5 MB file arrives byte-exact at a cosync and at a cojson member.
      expect(Buffer.from(await readCosyncFile(bob.node, stream.id)).equals(bytes)).toBe(true);
      const atCarol = await readCojsonFile(carol.node, stream.id);
      expect(atCarol).toMatchObject({ ...file, finished: true });
      expect(atCarol.bytes.equals(bytes)).toBe(true);
    } finally {
      await alice.disconnect();
      await bob.disconnect();
      await carol.close();
    }
  });
});

test("cosync clients through a cojson server over WebSocket: after a restart on the same SQLite file fresh clients load accounts, group, private map and the 5 MB binary stream again", async () => {
  await withTempDir(async (dir) => {
    const db = join(dir, "cojson.db");
    const bytes = randomBytes(FILE_BYTES);
    const written = await (async () => {
      await using server = await startCojsonSyncServer({ file: db });
      const alice = await newCosyncAccount(server, "alice");
      const bob = await newCosyncAccount(server, "bob");
      const carol = await connectNewCojsonAccount(server.url, "carol");
      try {
        const bobId = bob.node.accountId as CoId;
        await loadCosync(alice.node, bobId);
        await loadCosync(alice.node, carol.accountID as CoId);
        const group = alice.node.createGroup();
        group.addMember(bobId, "writer");
        group.addMember(carol.accountID as CoId, "reader");
        const map = group.createMap({ title: "shopping" });
        const stream = group.createBinaryStream();
        stream.writeBytes(bytes, file);
        await alice.node.syncManager.waitForAllSynced();
        await loadCosync(bob.node, map.id);
        bob.node.getMap(map.id)?.set("bob", "eggs");
        await bob.node.syncManager.waitForAllSynced();
        return {
          alice: { accountId: alice.node.accountId as CoId, agentSecret: alice.node.agentSecret },
          bob: { accountId: bobId, agentSecret: bob.node.agentSecret },
          carol: { accountID: carol.accountID, accountSecret: carol.accountSecret },
          group: group.id,
          map: map.id,
          stream: stream.id,
        };
      } finally {
        await alice.disconnect();
        await bob.disconnect();
        await carol.close();
      }
    })();

    await using server = await startCojsonSyncServer({ file: db });
    const bob = await existingCosyncAccount(server, written.bob);
    const alice = await existingCosyncAccount(server, written.alice);
    const carol = await connectCojsonAccount(server.url, written.carol);
    try {
      // Accounts and their profiles.
      await loadCosync(bob.node, written.alice.accountId);
      const profileId = bob.node.getMap(written.alice.accountId)?.get("profile") as CoId;
      await loadCosync(bob.node, profileId);
      expect(bob.node.getMap(profileId)?.get("name")).toBe("alice");

      await loadCosync(bob.node, written.map);
      expect(bob.node.getGroup(written.group)?.roleOf(written.bob.accountId)).toBe("writer");
      expect(bob.node.getMap(written.map)?.toJSON()).toEqual({ title: "shopping", bob: "eggs" });
      expect(Buffer.from(await readCosyncFile(bob.node, written.stream)).equals(bytes)).toBe(true);

      const carolsMap = await loadCojson<RawCoMap>(carol.node, written.map);
      expect(carolsMap.toJSON()).toEqual({ title: "shopping", bob: "eggs" });
      expect((await readCojsonFile(carol.node, written.stream)).bytes.equals(bytes)).toBe(true);

      // The restarted server relays again: alice's new edit reaches bob and carol.
      await loadCosync(alice.node, written.map);
      alice.node.getMap(written.map)?.set("title", "after restart");
      await untilCosync(bob.node, written.map, () => bob.node.getMap(written.map)?.get("title") === "after restart", "alice's edit at bob");
      await untilCojson(carolsMap, () => carolsMap.get("title") === "after restart", "alice's edit at carol");
    } finally {
      await alice.disconnect();
      await bob.disconnect();
      await carol.close();
    }
  });
});

test("cosync clients through a cojson server over WebSocket: a reconnecting cosync client resumes after the server restarts on the same port and file, and its offline writes arrive", async () => {
  await withTempDir(async (dir) => {
    const db = join(dir, "cojson.db");
    let server = await startCojsonSyncServer({ file: db });
    const port = server.port;
    const carol = await connectNewCojsonAccount(server.url, "carol");
    const alice = createAccountNode({ crypto: await cosyncCrypto(), storage: createMemoryStorage(), gc: false, name: "alice" });
    const channels: WebSocketChannel[] = [];
    const channelListeners = new Set<() => void>();
    const connection = createReconnectingConnection({
      url: server.url,
      WebSocket: WebSocket as never,
      backoff: { baseMs: 100 },
      onChannel: (channel) => {
        channels.push(channel);
        alice.syncManager.addPeer(channel);
        for (const listener of channelListeners) listener();
      },
    });
    const nextChannel = (count: number) =>
      until(
        (listener) => {
          channelListeners.add(listener);
          return () => channelListeners.delete(listener);
        },
        () => channels.length >= count,
        `connection ${count} of alice`,
      );
    try {
      await nextChannel(1);
      await alice.syncManager.waitForAllSynced();
      await loadCosync(alice, carol.accountID as CoId);
      const group = alice.createGroup();
      group.addMember(carol.accountID as CoId, "reader");
      const map = group.createMap({ before: "the restart" });
      await alice.syncManager.waitForAllSynced();

      await server.close();
      await channels[0]?.closed;
      map.set("during", "the outage");
      server = await startCojsonSyncServer({ file: db, port });
      await nextChannel(2);
      await map.waitForSync();

      // Carol's plain peer died with the first server; a fresh node of hers reads both writes.
      await carol.close();
      const carolAgain = await connectCojsonAccount(server.url, carol);
      try {
        const carolsMap = await loadCojson<RawCoMap>(carolAgain.node, map.id);
        expect(carolsMap.toJSON()).toEqual({ before: "the restart", during: "the outage" });
      } finally {
        await carolAgain.close();
      }
    } finally {
      await connection.stop();
      await alice.close();
      await carol.close();
      await server.close();
    }
  });
});
