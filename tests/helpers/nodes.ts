// Test fixtures for in-process cosync nodes: real crypto, memory storage, seed-shaped peers.
import {
  type CoCrypto,
  CoCrypto as CoCryptoClass,
  type Clock,
  type CoValueHeader,
  createLinkedChannels,
  createMemoryStorage,
  createAccountNode as createNamedAccount,
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

/**
 * A node acting for an account: creates the account CoValue with cojson's deterministic header
 * (docs/protocol.md) and writes one transaction into it, so sessions `<account>_session_z…` verify.
 */
export async function createAccountNode(options: Partial<LocalNodeOptions> = {}): Promise<LocalNode> {
  const crypto = await testCrypto();
  const agentSecret = crypto.newRandomAgentSecret();
  const agentId = crypto.agentId(agentSecret);
  const header: CoValueHeader = {
    type: "comap",
    ruleset: { type: "group", initialAdmin: agentId },
    meta: { type: "account" },
    createdAt: null,
    uniqueness: null,
  };
  const { idForHeader } = await import("@cosync/core");
  const accountId = idForHeader(header, (bytes) => crypto.provider.blake3(bytes));
  const node = await createTestNode({ ...options, agentSecret, accountId });
  node.createCoValue(header).writeTrusting([{ op: "set", key: agentId, value: "admin" }]);
  return node;
}

/** Links two nodes with in-memory channels that accept error notices, optionally traced. */
export function link(
  client: LocalNode,
  server: LocalNode,
  options: { trace?: import("./trace.js").MessageTrace; names?: { client: string; server: string } } = {},
) {
  const names = options.names ?? { client: "client", server: "server" };
  const [toServer, toClient] = createLinkedChannels({ aId: names.client, bId: names.server, aRole: "client", bRole: "server" });
  const clientSide = options.trace ? options.trace.wrap(toServer, names.client, names.server) : toServer;
  const serverSide = options.trace ? options.trace.wrap(toClient, names.server, names.client) : toClient;
  const serverPeer = client.syncManager.addPeer(clientSide);
  const clientPeer = server.syncManager.addPeer(serverSide);
  return { serverPeer, clientPeer, toServer, toClient };
}

/** A named account (core's `createAccountNode`: account, profile group) on memory storage, GC off. */
export async function namedAccountNode(name: string): Promise<LocalNode> {
  return createNamedAccount({ crypto: await testCrypto(), storage: createMemoryStorage(), gc: false, name });
}

/** Named accounts linked to one fresh server node, each synced once. */
export async function accountsOnServer(...names: string[]): Promise<{ server: LocalNode; accounts: LocalNode[] }> {
  const server = await createTestNode();
  const accounts: LocalNode[] = [];
  for (const name of names) {
    const node = await namedAccountNode(name);
    link(node, server, { names: { client: name.toLowerCase(), server: "server" } });
    accounts.push(node);
  }
  await Promise.all(accounts.map((node) => node.syncManager.waitForAllSynced()));
  return { server, accounts };
}
