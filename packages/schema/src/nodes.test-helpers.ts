// Fixtures for the schema tests: real crypto, memory storage, accounts linked to a server node in process.
import { CoCrypto, type CoId, createAccountNode, createLinkedChannels, createLocalNode, createMemoryStorage, type LocalNode } from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";

let crypto: CoCrypto | undefined;

export async function testCrypto(): Promise<CoCrypto> {
  crypto ??= new CoCrypto(await loadNodeCryptoProvider());
  return crypto;
}

/** Links `client` to `server` with in-memory channels. */
export function link(client: LocalNode, server: LocalNode, name: string): void {
  const [toServer, toClient] = createLinkedChannels({ aId: name, bId: "server", aRole: "client", bRole: "server" });
  client.syncManager.addPeer(toServer);
  server.syncManager.addPeer(toClient);
}

/** A server node and named accounts linked to it, each synced once. */
export async function accountsOnServer(...names: string[]): Promise<{ server: LocalNode; accounts: LocalNode[] }> {
  const server = createLocalNode({ crypto: await testCrypto(), storage: createMemoryStorage(), gc: false });
  const accounts: LocalNode[] = [];
  for (const name of names) {
    const node = createAccountNode({ crypto: await testCrypto(), storage: createMemoryStorage(), gc: false, name });
    link(node, server, name.toLowerCase());
    accounts.push(node);
  }
  await Promise.all(accounts.map((node) => node.syncManager.waitForAllSynced()));
  return { server, accounts };
}

/** How many change listeners `node` holds over all its values. */
export function listenerCount(node: LocalNode): number {
  let count = 0;
  for (const entry of node.allEntries()) count += entry.listeners.size;
  return count;
}

/** Alice and Bob, two accounts linked to one server node. */
export async function aliceAndBob(): Promise<{ server: LocalNode; alice: LocalNode; bob: LocalNode; bobId: CoId }> {
  const { server, accounts } = await accountsOnServer("Alice", "Bob");
  const [alice, bob] = accounts as [LocalNode, LocalNode];
  return { server, alice, bob, bobId: bob.accountId as CoId };
}
