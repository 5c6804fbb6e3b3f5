// Every CoValue type, edited concurrently by real cojson 0.20.19 nodes and by a cosync node, synced
// as raw session logs (in process, through a cosync server): both sides materialise the same content.
import { createAccountNode, createMemoryStorage, type LocalNode } from "@cosync/core";
import {
  cojsonInternals,
  LocalNode as CojsonNode,
  type RawBinaryCoStream,
  type RawCoList,
  type RawCoMap,
  type RawCoPlainText,
  type RawCoStream,
} from "cojson";
import { expect, test, vi } from "vitest";
import { createTestNode, testCrypto } from "../helpers/nodes.js";
import { loadOracle } from "./oracle.js";

async function setup() {
  const server = await createTestNode();
  const peer = (name: string) => {
    const [toServer, toClient] = cojsonInternals.connectedPeers("server", name, { peer1role: "server", peer2role: "client" });
    server.syncManager.addPeer(toClient as never);
    return toServer;
  };
  const crypto = await loadOracle();
  const alice = await CojsonNode.withNewlyCreatedAccount({ creationProps: { name: "alice" }, peers: [peer("alice")], crypto });
  const bob = await CojsonNode.withNewlyCreatedAccount({ creationProps: { name: "bob" }, peers: [peer("bob")], crypto });
  const carol: LocalNode = createAccountNode({ crypto: await testCrypto(), storage: createMemoryStorage(), gc: false, name: "carol" });
  carol.syncManager.addPeer(peer("carol") as never);
  await carol.syncManager.waitForAllSynced();
  const group = alice.node.createGroup();
  for (const id of [bob.accountID, carol.accountId as string]) {
    const account = await alice.node.load(id as never);
    if (account === "unavailable") throw new Error(`alice could not load ${id}`);
    group.addMember(account, "writer");
  }
  return { alice, bob, carol, group };
}

/** Returns once the wall clock has moved to the next millisecond (a spin of at most ~1 ms). */
function nextMillisecond(): void {
  const now = Date.now();
  while (Date.now() === now) {
    // spin: the condition is the clock itself
  }
}

async function loadIn<T>(node: CojsonNode, id: string): Promise<T> {
  const value = await node.load(id as never);
  if (value === "unavailable") throw new Error(`${id} unavailable`);
  return value as T;
}

test("interop: maps, lists, streams, binary streams and texts edited by cojson and cosync converge to the same content", async () => {
  const { alice, bob, carol, group } = await setup();
  const map = group.createMap();
  const list = group.createList();
  const text = group.createPlainText("héllo");
  const stream = group.createStream();
  const binary = group.createBinaryStream();
  map.set("a", 1);
  list.append("x");
  stream.push({ from: "alice" });
  binary.startBinaryStream({ mimeType: "application/octet-stream", fileName: "f.bin", totalSizeBytes: 6 });
  binary.pushBinaryStreamChunk(new Uint8Array([1, 2, 3]));
  await alice.node.syncManager.waitForAllCoValuesSync();

  const ids = [map.id, list.id, text.id, stream.id, binary.id];
  for (const id of ids) expect((await carol.load(id as never)).status).toBe("loaded");
  const bobMap = await loadIn<RawCoMap>(bob.node, map.id);
  const bobList = await loadIn<RawCoList>(bob.node, list.id);
  const bobText = await loadIn<RawCoPlainText>(bob.node, text.id);

  // Concurrent edits (nobody syncs in between): same key, same list position, text with emoji and
  // combining marks, deletes. Each edit gets its own millisecond: cojson orders edits made in the
  // same millisecond by different sessions in arrival order, so its own replicas can disagree
  // there (cosync breaks such ties by session id); distinct times make the expected state exact.
  const edits = [
    () => map.set("k", "alice"),
    () => bobMap.set("k", "bob"),
    () => carol.getMap(map.id as never)?.set("k", "carol"),
    () => carol.getMap(map.id as never)?.set("only-carol", true),
    () => bobMap.delete("a"),
    () => list.append("from alice", 0),
    () => bobList.append("from bob", 0),
    () => carol.getList(list.id as never)?.insert(1, "from carol"),
    () => text.insertAfter(4, " wörld 👩‍👩‍👧"),
    () => bobText.insertAfter(0, "e\u0301"),
    () => carol.getPlainText(text.id as never)?.insertAfter(2, "🇫🇷"),
  ];
  for (const edit of edits) {
    edit();
    nextMillisecond();
  }
  carol.getStream(stream.id as never)?.push({ from: "carol" });
  binary.pushBinaryStreamChunk(new Uint8Array([4, 5, 6]));
  binary.endBinaryStream();

  await alice.node.syncManager.waitForAllCoValuesSync();
  await bob.node.syncManager.waitForAllCoValuesSync();
  await carol.syncManager.waitForAllSynced();
  const aliceMap = () => (map.core.getCurrentContent() as RawCoMap).toJSON();
  await vi.waitFor(() => {
    expect(carol.getMap(map.id as never)?.toJSON()).toEqual(aliceMap());
    expect(Object.keys(aliceMap())).toContain("only-carol");
    expect(carol.getList(list.id as never)?.asArray()).toEqual((list.core.getCurrentContent() as RawCoList).asArray());
    expect((list.core.getCurrentContent() as RawCoList).asArray()).toHaveLength(4);
    expect(carol.getPlainText(text.id as never)?.toString()).toEqual((text.core.getCurrentContent() as RawCoPlainText).toString());
    expect(carol.getPlainText(text.id as never)?.toString()).toContain("🇫🇷");
    const theirStream = (stream.core.getCurrentContent() as RawCoStream).toJSON();
    const ourStream = carol.getStream(stream.id as never)?.content.toJSON();
    expect(ourStream).toEqual(theirStream);
    const chunks = (binary.core.getCurrentContent() as RawBinaryCoStream).getBinaryChunks();
    expect(carol.getBinaryStream(binary.id as never)?.toBytes()).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6]));
    expect(chunks?.finished).toBe(true);
  });
});
