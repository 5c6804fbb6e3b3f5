// Test fixtures for in-process cosync nodes: real crypto, memory storage, seed-shaped peers.
import {
  type CoCrypto,
  CoCrypto as CoCryptoClass,
  type Clock,
  type CoValueHeader,
  createMemoryStorage,
  createLocalNode,
  type LocalNode,
  type LocalNodeOptions,
  type StorageAdapter,
} from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { cojsonInternals } from "cojson";

let sharedCrypto: CoCrypto | undefined;

export async function testCrypto(): Promise<CoCrypto> {
  sharedCrypto ??= new CoCryptoClass(await loadNodeCryptoProvider());
  return sharedCrypto;
}

export async function createTestNode(
  options: Partial<LocalNodeOptions> & { storage?: StorageAdapter | false; clock?: Clock } = {},
): Promise<LocalNode> {
  const { storage, ...rest } = options;
  return createLocalNode({
    crypto: await testCrypto(),
    gc: false,
    ...rest,
    ...(storage === false ? {} : { storage: storage ?? createMemoryStorage() }),
  });
}

/** Connects `client` to `server` in process with the seed's peer shape (cojson's connectedPeers). */
export function connect(client: LocalNode, server: LocalNode, ids = { server: "server", client: "client" }) {
  const [serverAsSeenByClient, clientAsSeenByServer] = cojsonInternals.connectedPeers(ids.server, ids.client, {
    peer1role: "server",
    peer2role: "client",
  });
  const serverPeer = client.syncManager.addPeer(serverAsSeenByClient as never);
  const clientPeer = server.syncManager.addPeer(clientAsSeenByServer as never);
  return { serverPeer, clientPeer, disconnect: () => serverPeer.channel.close() };
}

export function plainHeader(crypto: CoCrypto, type: CoValueHeader["type"] = "comap"): CoValueHeader {
  return { type, ruleset: { type: "unsafeAllowAll" }, meta: null, createdAt: "2026-11-25T00:00:00.000Z", uniqueness: crypto.newUniqueness() };
}
