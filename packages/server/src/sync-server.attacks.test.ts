// Regression tests for security findings: each drives a real server over real WebSockets with an
// attacker speaking raw wire frames, and asserts the secure behaviour (the honest side unharmed).
import {
  type CoId,
  type CoValueHeader,
  createMemoryStorage,
  createTestClock,
  idForHeader,
  type LocalNode,
  StorageError,
  type StorageAdapter,
} from "@cosync/core";
import { expect, test } from "vitest";
import { createTestNode, namedAccountNode, plainHeader } from "../../../tests/helpers/nodes.js";
import type { SyncServer } from "./start-sync-server.js";
import { blake3, closedAfterEachTest, content, crypto, expectHonestWriteAccepted, forgedPiece, isNotice, newAgent, sessionOf, signedPiece, tx, unknownId, within } from "./test-fixtures/attack-kit.js";

// Every server and client a test opens, closed after it (even when it fails midway).
const { start, raw, bridged, track, victimWithValue } = closedAfterEachTest();

/** A fresh cosync client connected to the server: reads what the server serves now. */
async function freshReader(server: SyncServer): Promise<LocalNode> {
  const reader = await createTestNode();
  await bridged(reader, server);
  return reader;
}

/** A trusting map in a group of a named account, holding `{ keep: "me" }`, synced to the server. */
async function adminWithMap(server: SyncServer) {
  const admin = await namedAccountNode("Admin");
  const bridge = await bridged(admin, server);
  const map = admin.createGroup().createMap();
  map.set("keep", "me", "trusting");
  await admin.syncManager.waitForAllSynced();
  return { admin, bridge, map };
}

test("attack (1): a forged delete session next to a valid one deletes nothing", async () => {
  const server = await start();
  const { admin, map } = await adminWithMap(server);
  const stranger = await raw(server);
  const agent = newAgent();
  const deleteSession = `${admin.accountId}_session_d${crypto.newDeleteSessionRandomPart()}$`;
  const validSession = sessionOf(crypto.agentId(agent));
  stranger.send(
    content(map.id, {
      [deleteSession]: forgedPiece([tx([], { deleted: map.id })]),
      [validSession]: signedPiece(validSession, agent, [tx()]),
    }),
  );
  await stranger.waitFor((entry) => entry.action === "known" && entry.id === map.id, "the server's reply to the forgery");

  const reader = await freshReader(server);
  expect((await reader.load(map.id)).status).toBe("loaded");
  expect(reader.getMap(map.id)?.get("keep")).toBe("me");
  // The admin keeps writing, and what it writes is served.
  map.set("after", "attack", "trusting");
  await within(map.waitForSync(), 3000, "the admin's write acknowledged");
  const later = await freshReader(server);
  expect((await later.load(map.id)).status).toBe("loaded");
  expect(later.getMap(map.id)?.toJSON()).toEqual({ keep: "me", after: "attack" });
});

test("attack (2): header-only content counts against the storage quota", async () => {
  const server = await start({ limits: { storageQuotaBytes: 1000 } });
  const attacker = await raw(server);
  const ids: CoId[] = [];
  // One header far over the header size limit (64 KiB by default): refused whatever the quota.
  const huge: CoValueHeader = { ...plainHeader(crypto), meta: { pad: "h".repeat(100_000) } };
  attacker.send(content(idForHeader(huge, blake3), {}, huge));
  for (let i = 0; i < 20; i++) {
    // A valid header (its id is its hash) with ~600 bytes of meta and no transactions at all.
    const header: CoValueHeader = { ...plainHeader(crypto), meta: { pad: "h".repeat(600) } };
    const id = idForHeader(header, blake3);
    ids.push(id);
    attacker.send(content(id, {}, header));
  }
  // Messages of one connection are handled in order: the reply to a later load comes after all.
  const probe = unknownId();
  attacker.send({ action: "load", id: probe, header: false, sessions: {} });
  await attacker.waitFor((entry) => entry.action === "known" && entry.id === probe, "the reply to the probe");

  const reader = await raw(server);
  for (const id of ids) reader.send({ action: "load", id, header: false, sessions: {} });
  const replies = await Promise.all(
    ids.map((id) =>
      reader.waitFor((entry) => entry.id === id && (entry.action === "done" || entry.action === "known"), `the reply for ${id}`),
    ),
  );
  const stored = replies.filter((entry) => entry.action === "done").length;
  expect(stored, "headers stored beyond a 1000-byte quota").toBeLessThanOrEqual(1);
  const codes = attacker.entries.filter(isNotice).map((entry) => entry.error?.code);
  expect(codes[0]).toBe("TooLarge");
  expect(codes).toContain("QuotaExceeded");
});

/**
 * A memory storage whose `summary` of some ids fails, as a broken disk or database would: each id
 * maps to how many reads of it succeed before they start to fail.
 */
function storageFailingSummaries(failing: ReadonlyMap<CoId, number>): StorageAdapter {
  const inner = createMemoryStorage();
  const reads = new Map<CoId, number>();
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === "summary") {
        return (id: CoId) => {
          reads.set(id, (reads.get(id) ?? 0) + 1);
          const good = failing.get(id);
          if (good !== undefined && (reads.get(id) ?? 0) > good)
            return Promise.reject(new StorageError(`cannot read ${id}: disk failure`, { coId: id }));
          return target.summary(id);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

test("attack (4): a storage error while loading a signer account is refused explicitly and crashes nothing", async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  track(async () => void process.off("unhandledRejection", onUnhandled));
  // Signer accounts the server lacks, so it reads them from storage: one whose reads always fail,
  // one whose first read answers "not stored" and later ones fail (the server asks again).
  const [broken, flaky] = [unknownId(), unknownId()];
  const storage = storageFailingSummaries(
    new Map([
      [broken, 0],
      [flaky, 1],
    ]),
  );
  track(() => storage.close());
  const server = await start({ storage });
  const attacker = await raw(server);
  const sendSignedBy = (account: CoId) => {
    const header = plainHeader(crypto);
    const id = idForHeader(header, blake3);
    attacker.send(content(id, { [sessionOf(account)]: forgedPiece([tx()]) }, header));
    return id;
  };

  const flakyValue = sendSignedBy(flaky);
  // The server asks the sender for the missing account, and (again) its storage.
  await attacker.waitFor((entry) => entry.action === "load" && entry.id === flaky, "the server asking for the flaky account");
  const brokenValue = sendSignedBy(broken);
  const notice = await attacker
    .waitFor((entry) => entry.error?.id === brokenValue, "a notice refusing the content", 3000)
    .catch((e: Error) => e);

  // The server still serves: a bystander's write is acknowledged and a fresh client loads it.
  const writer = await createTestNode();
  await bridged(writer, server);
  const value = writer.createCoValue(plainHeader(crypto));
  value.writeTrusting(["still serving"]);
  await within(value.waitForSync(), 3000, "a bystander's write acknowledged");
  const reader = await freshReader(server);
  expect((await reader.load(value.id)).status).toBe("loaded");
  // Outside a test runner an unhandled rejection ends the Node process: the server would be down.
  expect(unhandled.map(String), `unhandled rejections after content for ${flakyValue}`).toEqual([]);
  expect(notice instanceof Error ? notice.message : notice.error?.message).toMatch(/storage/i);
});

test("attack (5): content parked for made-up signer accounts is bounded across values", async () => {
  const server = await start(); // no rate limits: the bound must hold without them
  const attacker = await raw(server);
  // 500 values × 10 messages, each session owned by an account that exists nowhere, so all of it
  // waits for signers that never arrive. 100 messages a frame.
  let frame: unknown[] = [];
  for (let value = 0; value < 500; value++) {
    const header = plainHeader(crypto);
    const id = idForHeader(header, blake3);
    const account = unknownId();
    for (let i = 0; i < 10; i++)
      frame.push(
        content(
          id,
          { [sessionOf(account)]: forgedPiece([tx([{ op: "set", key: "pad", value: "p".repeat(200) }])]) },
          i === 0 ? header : undefined,
        ),
      );
    if (frame.length >= 100) {
      attacker.send(...frame);
      frame = [];
    }
  }
  const notice = await attacker.waitFor(isNotice, "a refusal", 5000).catch(() => undefined);
  const parked = attacker.entries.filter((entry) => entry.action === "load").length; // it asks for each missing account
  expect(notice?.error?.code, `a refusal within 5 s of 5000 messages (${parked} values parked)`).toBeDefined();
  expect(notice?.error?.code).not.toMatch(/Malformed|InvalidHeader/); // a real refusal, not a setup mistake
});

test("attack (6): a field outside the signed form is not relayed or stored", async () => {
  const server = await start();
  const author = await createTestNode();
  const value = author.createCoValue(plainHeader(crypto));
  value.writeTrusting(["first"]);
  author.sealLocalWrites();
  const log = author.peekEntry(value.id)?.log ?? expect.fail("no log");
  const [first] = log.contentSince(undefined);
  const writer = await raw(server);
  writer.send(first);
  await writer.waitFor((entry) => entry.action === "known" && entry.id === value.id, "the first ack");

  const subscriber = await raw(server);
  subscriber.send({ action: "load", id: value.id, header: false, sessions: {} });
  await subscriber.waitFor((entry) => entry.action === "done" && entry.id === value.id, "the subscriber's load answered");

  // The signature covers canonical JSON, which drops unknown fields: `injected` rides along unsigned.
  value.writeTrusting(["second"]);
  author.sealLocalWrites();
  const session = author.sessionFor(value.id);
  const [second] = log.contentSince({ id: value.id, header: true, sessions: { [session]: 1 } });
  const piece = second?.new[session] ?? expect.fail("no second piece");
  writer.send({
    ...second,
    new: { [session]: { ...piece, newTransactions: piece.newTransactions.map((t) => ({ ...t, injected: "evil" })) } },
  });
  await writer.waitFor((entry) => entry.action === "known" && (entry.sessions as Record<string, number>)[session] === 2, "the second ack");

  const relayed = await subscriber.waitFor(
    (entry) => entry.action === "content" && (entry.new as Record<string, { after: number }>)[session]?.after === 1,
    "the relayed second transaction",
  );
  expect(JSON.stringify(relayed)).not.toContain("injected");
  const fresh = await raw(server);
  fresh.send({ action: "load", id: value.id, header: false, sessions: {} });
  await fresh.waitFor((entry) => entry.action === "done" && entry.id === value.id, "a fresh load answered");
  expect(JSON.stringify(fresh.entries)).not.toContain("injected");
});

test("attack (7): forged content in a victim's sessions does not drain the victim's rate budget", async () => {
  const server = await start({ clock: createTestClock(), limits: { account: { messages: { perSecond: 1, burst: 10 } } } });
  const victim = await victimWithValue(server);
  const attacker = await raw(server);
  // Junk signed by nobody, in fresh sessions named after the victim, for values nobody holds.
  for (let i = 0; i < 20; i++) attacker.send(content(unknownId(), { [sessionOf(victim.accountId)]: forgedPiece([tx()]) }));
  const probe = unknownId();
  attacker.send({ action: "load", id: probe, header: false, sessions: {} });
  await attacker.waitFor((entry) => entry.action === "known" && entry.id === probe, "the reply to the probe");
  await expectHonestWriteAccepted(victim);
});

test("attack (21.1): content signed by a made-up account does not freeze an honest value", async () => {
  const server = await start();
  const victim = await victimWithValue(server);
  const attacker = await raw(server);
  attacker.send(content(victim.map.id, { [sessionOf(unknownId())]: forgedPiece([tx()]) }));
  await attacker.waitFor((entry) => entry.id === victim.map.id || isNotice(entry) || entry.action === "load", "the server's reaction");
  await expectHonestWriteAccepted(victim);
});

test("attack (21.2): junk sent in a victim's sessions of a deleted value does not burn the victim's quota", async () => {
  const server = await start({ limits: { storageQuotaBytes: 20_000 } });
  const mallory = await namedAccountNode("Mallory");
  await bridged(mallory, server);
  const throwaway = mallory.createGroup().createMap();
  throwaway.set("x", 1, "trusting");
  mallory.deleteCoValue(throwaway.id);
  await within(mallory.syncManager.waitForAllSynced(), 3000, "mallory's deletion synced");
  expect(await server.node.storage?.isDeleted(throwaway.id)).toBe(true);
  const victim = await victimWithValue(server);

  const attacker = await raw(server);
  for (let i = 0; i < 30; i++) {
    attacker.send(
      content(throwaway.id, { [sessionOf(victim.accountId)]: forgedPiece([tx([{ op: "set", key: "junk", value: "j".repeat(1000) }])]) }),
    );
  }
  const probe = unknownId();
  attacker.send({ action: "load", id: probe, header: false, sessions: {} });
  await attacker.waitFor((entry) => entry.action === "known" && entry.id === probe, "the reply to the probe");
  await expectHonestWriteAccepted(victim, "v".repeat(1000));
});
