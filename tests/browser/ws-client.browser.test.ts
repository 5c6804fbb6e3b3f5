// A cosync client in real Chromium — the browser's own WebSocket, IndexedDB storage and the
// portable (WASM) crypto — syncing through a real cosync server (a Node process on a SQLite file,
// driven through Vitest browser commands), and reconnecting by itself after the server restarts.
import { createAccountNode, createMemoryStorage, type LocalNode } from "@cosync/core";
import { loadPortableCryptoProvider } from "@cosync/crypto/portable";
import { openIndexedDbStorage } from "@cosync/storage-indexeddb";
import { createReconnectingConnection, type ReconnectingConnection } from "@cosync/transport-ws";
import { expect, test, vi } from "vitest";
import { commands } from "vitest/browser";

type ServerCommands = {
  syncServerStart(): Promise<{ id: string; url: string }>;
  syncServerRestart(id: string): Promise<string>;
  syncServerStop(id: string): Promise<void>;
};
const server = commands as unknown as ServerCommands;

function connect(node: LocalNode, url: string): ReconnectingConnection {
  // Short backoff: the restart below should not wait seconds for the next attempt.
  return createReconnectingConnection({ url, onChannel: (channel) => node.syncManager.addPeer(channel), backoff: { baseMs: 50, maxMs: 250 } });
}

test("a browser client writes through a cosync server, a second one reads it, and both carry on after a server restart", async () => {
  const { id, url } = await server.syncServerStart();
  const crypto = await loadPortableCryptoProvider();
  const storage = await openIndexedDbStorage({ name: `cosync-ws-client-${globalThis.crypto.randomUUID()}` });
  const alice = createAccountNode({ crypto, storage, name: "alice" });
  const aliceConnection = connect(alice, url);
  const bob = createAccountNode({ crypto, storage: createMemoryStorage(), name: "bob" });
  const bobConnection = connect(bob, url);
  try {
    const group = alice.createGroup();
    group.addMember("everyone", "reader");
    const map = group.createMap({ title: "written in Chromium" });
    const bytes = Uint8Array.from({ length: 300_000 }, (_, index) => (index * 31) & 255);
    const file = group.createBinaryStream();
    file.writeBytes(bytes, { mimeType: "application/octet-stream", fileName: "data.bin" });
    await map.waitForSync();
    await file.waitForSync();

    expect((await bob.load(map.id)).status).toBe("loaded");
    expect(bob.getMap(map.id)?.get("title")).toBe("written in Chromium");
    expect((await bob.load(file.id)).status).toBe("loaded");
    await vi.waitFor(() => expect(bob.getBinaryStream(file.id)?.toBytes()).toEqual(bytes));

    // Both clients reconnect by themselves; a write after the restart reaches the other one.
    const channelBefore = aliceConnection.channel;
    expect(channelBefore).toBeDefined();
    await server.syncServerRestart(id);
    await vi.waitFor(() => expect(aliceConnection.channel ?? channelBefore).not.toBe(channelBefore), { timeout: 20_000 });
    map.set("title", "after the restart");
    await vi.waitFor(() => expect(bob.getMap(map.id)?.get("title")).toBe("after the restart"), { timeout: 20_000 });
  } finally {
    await aliceConnection.stop();
    await bobConnection.stop();
    await alice.close();
    await bob.close();
    await server.syncServerStop(id);
  }
});
