// `reconcile` as jazz-tools clients with storage send it: cosync's short hash of a known state is
// cojson's, a server asks only for values it lacks or holds differently, and a batch is bounded.
import { createLinkedChannels, reconcileShortHash } from "@cosync/core";
import fc from "fast-check";
import { expect, test, vi } from "vitest";
import { createTestNode, plainHeader, testCrypto } from "../helpers/nodes.js";
import { loadOracle } from "./oracle.js";

test("reconcile: cosync's short hash of a session map is cojson's crypto.shortHash", async () => {
  const oracle = await loadOracle();
  const crypto = await testCrypto();
  const blake3 = (bytes: Uint8Array) => crypto.provider.blake3(bytes);
  const sessions = fc.dictionary(fc.string({ minLength: 1, maxLength: 40 }), fc.nat({ max: 1_000_000 }), { maxKeys: 8 });
  fc.assert(fc.property(sessions, (map) => reconcileShortHash(map as never, blake3) === oracle.shortHash(map)), { numRuns: 200 });
});

test("reconcile: a server loads only values it lacks or holds differently, once each, then acks; a batch over 100 is refused", async () => {
  const crypto = await testCrypto();
  const blake3 = (bytes: Uint8Array) => crypto.provider.blake3(bytes);
  const server = await createTestNode();
  const same = server.createCoValue(plainHeader(crypto));
  same.writeTrusting(["held alike"]);
  const different = server.createCoValue(plainHeader(crypto));
  different.writeTrusting(["held differently"]);
  server.sealLocalWrites();
  const missing = (await createTestNode()).createCoValue(plainHeader(crypto)).id;
  const [client, serverSide] = createLinkedChannels({ aId: "client", bId: "server", aRole: "client", bRole: "server" });
  server.syncManager.addPeer(serverSide);
  const received: Array<{ action: string; id: string }> = [];
  const notices: Array<{ error: { code: string; message: string } }> = [];
  client.onMessage((message) => received.push(message as never));
  client.onNotice((notice) => notices.push(notice as never));
  client.send({
    action: "reconcile",
    id: "batch1",
    values: [
      [same.id, reconcileShortHash(same.knownState().sessions, blake3)],
      [different.id, reconcileShortHash({}, blake3)],
      [missing, reconcileShortHash({}, blake3)],
      [missing, reconcileShortHash({}, blake3)],
    ],
  } as never);
  await vi.waitFor(() => expect(received.at(-1)).toEqual({ action: "reconcile-ack", id: "batch1" }));
  expect(received.map((message) => `${message.action} ${message.id}`)).toEqual([`load ${different.id}`, `load ${missing}`, "reconcile-ack batch1"]);
  const tooMany = Array.from({ length: 101 }, () => [missing, reconcileShortHash({}, blake3)]);
  client.send({ action: "reconcile", id: "batch2", values: tooMany } as never);
  await vi.waitFor(() => expect(notices.map((notice) => notice.error.message)).toEqual(["reconcile values must hold at most 100 pairs, got 101"]));
  expect(received.filter((message) => message.id === "batch2")).toEqual([]);
});
