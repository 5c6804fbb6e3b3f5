// Bad input from a raw WebSocket client: each is refused with an explicit error notice, nothing
// of it is stored, the connection (unless closed on purpose) and every other client keep working.
import { CloseCode, type ContentMessage, type CoId, createTestClock, type LocalNode } from "@cosync/core";
import { expect, test } from "vitest";
import { createAccountNode, createTestNode, plainHeader, testCrypto } from "../../../tests/helpers/nodes.js";
import type { ServerLimits } from "./server-options.js";
import { type SyncServer, startSyncServer } from "./start-sync-server.js";
import { bridgeNode, RawClient } from "./test-fixtures/raw-client.js";

interface Setup extends AsyncDisposable {
  readonly server: SyncServer;
  readonly attacker: RawClient;
  readonly bystander: LocalNode;
  readonly clock: ReturnType<typeof createTestClock>;
}

/** A server on a frozen test clock, a bystander cosync client, and a raw attacker connection. */
async function setup(limits: ServerLimits = {}): Promise<Setup> {
  const clock = createTestClock();
  const server = await startSyncServer({ port: 0, inMemory: true, clock, limits, log: { level: "silent" }, processMetrics: false });
  const bystander = await createTestNode();
  const bridged = await bridgeNode(bystander, server.url);
  const attacker = await RawClient.connect(server.url);
  return {
    server,
    attacker,
    bystander,
    clock,
    async [Symbol.asyncDispose]() {
      await attacker.close();
      await bridged.close();
      await server.close();
    },
  };
}

/** A fresh value with `count` transactions, written on a node that is connected to nothing. */
async function freshContent(count = 1, node?: LocalNode, payload = "x"): Promise<{ id: CoId; messages: ContentMessage[] }> {
  const author = node ?? (await createTestNode());
  const value = author.createCoValue(plainHeader(await testCrypto()));
  for (let i = 0; i < count; i++) value.writeTrusting([{ op: "set", key: `k${i}`, value: payload }]);
  author.sealLocalWrites();
  const messages = author.peekEntry(value.id)?.log?.contentSince(undefined) ?? [];
  return { id: value.id, messages };
}

async function storedTransactions(server: SyncServer, id: CoId): Promise<Record<string, number>> {
  return (await server.node.storage?.knownState(id))?.sessions ?? {};
}

/** The bystander writes a new value and gets it acknowledged (durably stored) by the server. */
async function expectBystanderStillSyncs(t: Setup): Promise<void> {
  const value = t.bystander.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting(["still syncing"]);
  await value.waitForSync();
  expect(await t.server.node.storage?.knownState(value.id)).toEqual(value.knownState());
}

/** The attacker's connection still answers: a load is replied to with `known`. */
async function expectConnectionStillAnswers(t: Setup): Promise<void> {
  const { id } = await freshContent();
  t.attacker.send({ action: "load", id, header: false, sessions: {} });
  await t.attacker.waitFor((entry) => entry.action === "known" && entry.id === id, "a known reply to a load");
}

test("refusal: a frame that is not JSON gets MalformedMessage; the valid lines of a frame still count", async () => {
  await using t = await setup();
  t.attacker.sendText("{this is not json");
  const notice = await t.attacker.notice("MalformedMessage");
  expect(notice.message).toContain("line 0 is not valid JSON");

  const { id } = await freshContent();
  t.attacker.sendText(`${JSON.stringify({ action: "load", id, header: false, sessions: {} })}\n[1,2`);
  await t.attacker.waitFor((entry) => entry.action === "known" && entry.id === id, "the reply to the valid line");
  await t.attacker.waitFor((entry) => entry.error?.code === "MalformedMessage" && entry.error.message.includes("line 1"), "a notice for line 1");
  await expectBystanderStillSyncs(t);
});

test("refusal: an unknown action gets MalformedMessage naming it", async () => {
  await using t = await setup();
  const { id } = await freshContent();
  t.attacker.send({ action: "explode", id });
  const notice = await t.attacker.notice("MalformedMessage");
  expect(notice).toMatchObject({ code: "MalformedMessage", id, message: 'unknown action "explode"' });
  expect(await t.server.node.storage?.knownState(id)).toBeUndefined();
  await expectConnectionStillAnswers(t);
  await expectBystanderStillSyncs(t);
});

test("refusal: a bad CoValue id gets MalformedMessage and nothing is stored", async () => {
  await using t = await setup();
  const { messages } = await freshContent();
  t.attacker.send({ ...messages[0], id: "co_zNotAnId" });
  const notice = await t.attacker.notice("MalformedMessage");
  expect(notice.message).toBe('id must be a CoValue id ("co_z…"), got "co_zNotAnId"');
  t.attacker.send({ action: "load", id: "not-even-close", header: false, sessions: {} });
  await t.attacker.waitFor((entry) => entry.error?.code === "MalformedMessage" && entry.error.message.includes("not-even-close"), "a second notice");
  expect([...t.server.node.allEntries()].filter((entry) => entry.log !== undefined).map((entry) => entry.id)).toEqual(
    [...t.bystander.allEntries()].map((entry) => entry.id),
  );
  await expectConnectionStillAnswers(t);
  await expectBystanderStillSyncs(t);
});

test("refusal: a tampered signature gets InvalidSignature naming the session, and no transaction is stored", async () => {
  await using t = await setup();
  const { id, messages } = await freshContent(3);
  const message = messages[0] as ContentMessage;
  const [session, piece] = Object.entries(message.new)[0] as [string, ContentMessage["new"][never]];
  const signature = piece.lastSignature;
  const tampered = `${signature.slice(0, -2)}${signature.endsWith("11") ? "22" : "11"}`;
  t.attacker.send({ ...message, new: { [session]: { ...piece, lastSignature: tampered } } });
  const notice = await t.attacker.notice("InvalidSignature");
  expect(notice).toMatchObject({ id, session, message: "signature does not match the transactions after 0" });
  // The correction tells the client what the server holds: the header, no transactions.
  await t.attacker.waitFor((entry) => entry.action === "known" && entry.id === id, "the known reply");
  expect(await storedTransactions(t.server, id)).toEqual({});
  await expectConnectionStillAnswers(t);
  await expectBystanderStillSyncs(t);
});

test("refusal: content whose `after` is beyond what the server holds gets a correction and a Gap notice", async () => {
  await using t = await setup();
  const { id, messages } = await freshContent(2);
  const message = messages[0] as ContentMessage;
  const [session, piece] = Object.entries(message.new)[0] as [string, ContentMessage["new"][never]];
  t.attacker.send({ ...message, new: { [session]: { ...piece, after: 5 } } });
  const correction = await t.attacker.waitFor((entry) => entry.action === "known" && entry.id === id, "a correction");
  expect(correction).toEqual({ action: "known", isCorrection: true, id, header: true, sessions: {} });
  const notice = await t.attacker.notice("Gap");
  expect(notice).toEqual({
    code: "Gap",
    id,
    session,
    message: "content starts after transaction 5 but 0 of this session are held here; resend from 0",
  });
  expect(await storedTransactions(t.server, id)).toEqual({});

  // Resending from where the server is fills the gap.
  t.attacker.send(message);
  await t.attacker.waitFor((entry) => entry.action === "known" && entry.id === id && !entry.isCorrection, "the ack");
  expect(await storedTransactions(t.server, id)).toEqual({ [session]: 2 });
  await expectBystanderStillSyncs(t);
});

test("refusal: a message over maxMessageBytes gets TooLarge and is not stored", async () => {
  await using t = await setup({ maxMessageBytes: 10_000 });
  const { id, messages } = await freshContent(1, undefined, "y".repeat(20_000));
  t.attacker.send(messages[0]);
  const notice = await t.attacker.notice("TooLarge");
  expect(notice.id).toBe(id);
  expect(notice.message).toMatch(/^message of about \d+ bytes exceeds the limit of 10000 bytes; dropped$/);
  expect(await t.server.node.storage?.knownState(id)).toBeUndefined();
  await expectConnectionStillAnswers(t);
  await expectBystanderStillSyncs(t);
});

test("refusal: a frame over maxFrameBytes closes that connection with 1009 (MessageTooBig), nobody else's", async () => {
  await using t = await setup({ maxFrameBytes: 50_000 });
  const { id, messages } = await freshContent(1, undefined, "z".repeat(60_000));
  t.attacker.send(messages[0]);
  expect((await t.attacker.closed).code).toBe(CloseCode.MessageTooBig);
  expect(await t.server.node.storage?.knownState(id)).toBeUndefined();
  await expectBystanderStillSyncs(t);
});

test("refusal: a flood beyond the connection's message rate gets RateLimited; the budget refills with time", async () => {
  await using t = await setup({ connection: { messages: { perSecond: 1, burst: 5 } } });
  const loads = await Promise.all([1, 2, 3, 4, 5].map(async () => (await freshContent()).id));
  const flood = await freshContent();
  t.attacker.send(...loads.map((id) => ({ action: "load", id, header: false, sessions: {} })), flood.messages[0]);
  for (const id of loads) await t.attacker.waitFor((entry) => entry.action === "known" && entry.id === id, `the reply for ${id}`);
  const notice = await t.attacker.notice("RateLimited");
  expect(notice).toEqual({
    code: "RateLimited",
    id: flood.id,
    message: "connection exceeds its messages rate of 1/s (burst 5); message dropped",
  });
  expect(await t.server.node.storage?.knownState(flood.id)).toBeUndefined();

  // One second later one more message fits.
  t.clock.advance(1000);
  t.attacker.send(flood.messages[0]);
  await t.attacker.waitFor((entry) => entry.action === "known" && entry.id === flood.id, "the ack after refill");
  expect(Object.values(await storedTransactions(t.server, flood.id))).toEqual([1]);
  await expectBystanderStillSyncs(t);
});

test("refusal: a flood beyond the connection's byte rate gets RateLimited", async () => {
  await using t = await setup({ connection: { bytes: { perSecond: 1000, burst: 4000 } } });
  const big = await freshContent(1, undefined, "b".repeat(3000));
  const second = await freshContent(1, undefined, "c".repeat(3000));
  t.attacker.send(big.messages[0], second.messages[0]);
  await t.attacker.waitFor((entry) => entry.action === "known" && entry.id === big.id, "the first ack");
  const notice = await t.attacker.notice("RateLimited");
  expect(notice).toMatchObject({ id: second.id, message: "connection exceeds its bytes rate of 1000/s (burst 4000); message dropped" });
  expect(await t.server.node.storage?.knownState(second.id)).toBeUndefined();
  await expectBystanderStillSyncs(t);
});

test("refusal: notices are throttled per connection and summarize what they left out", async () => {
  await using t = await setup({ connection: { messages: { perSecond: 1, burst: 1 } }, noticesPerSecond: 2 });
  const { id } = await freshContent();
  const load = { action: "load", id, header: false, sessions: {} };
  t.attacker.send(load, load, load, load, load);
  await t.attacker.waitFor((entry) => entry.action === "known", "the admitted load");
  const notices = () => t.attacker.entries.filter((entry) => entry.error !== undefined);
  await t.attacker.waitFor(() => notices().length === 2, "two notices");
  t.clock.advance(1000);
  t.attacker.send(load, load);
  await t.attacker.waitFor(() => notices().length === 3, "the summarizing notice");
  expect(notices()[2]?.error?.message).toContain("(2 more refusals since the last notice)");
});

test("refusal: content signed in a banned account's session gets Forbidden and the connection is closed with 4403", async () => {
  const mallory = await createAccountNode();
  await using t = await setup({ bans: [mallory.accountId as string] });
  await using bridged = await bridgeNode(mallory, t.server.url);
  const value = mallory.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting(["from a banned account"]);
  const notice = await bridged.raw.notice("Forbidden");
  expect(notice).toMatchObject({ code: "Forbidden", id: value.id, message: `${mallory.accountId} is banned from this server; content not stored` });
  expect(notice.session?.startsWith(`${mallory.accountId}_session_z`)).toBe(true);
  expect(await bridged.raw.closed).toEqual({ code: CloseCode.Forbidden, reason: "banned" });
  expect(await storedTransactions(t.server, value.id)).toEqual({});
  await expectBystanderStillSyncs(t);
});

test("refusal: a banned agent's sessions are refused too, and a live ban list applies to later messages", async () => {
  const bans = new Set<string>();
  await using t = await setup({ bans, closeBanned: false });
  const author = await createTestNode();
  const first = await freshContent(1, author);
  t.attacker.send(first.messages[0]);
  await t.attacker.waitFor((entry) => entry.action === "known" && entry.id === first.id, "the ack before the ban");
  bans.add(author.agentId);
  const second = await freshContent(1, author);
  t.attacker.send(second.messages[0]);
  const notice = await t.attacker.notice("Forbidden");
  expect(notice).toMatchObject({ id: second.id, message: `${author.agentId} is banned from this server; content not stored` });
  expect(await t.server.node.storage?.knownState(second.id)).toBeUndefined();
  await expectConnectionStillAnswers(t); // closeBanned: false keeps it open
  await expectBystanderStillSyncs(t);
});

test("refusal: banning an account also stops its agent writing in sessions of its own", async () => {
  const bans = new Set<string>();
  await using t = await setup({ bans, closeBanned: false });
  const mallory = await createAccountNode();
  await using bridged = await bridgeNode(mallory, t.server.url);
  const value = mallory.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting(["before the ban"]);
  await value.waitForSync(); // the server now holds mallory's account, which names her agent
  bans.add(mallory.accountId as string);
  const asAgent = await createTestNode({ agentSecret: mallory.agentSecret });
  const sneaky = await freshContent(1, asAgent);
  t.attacker.send(sneaky.messages[0]);
  const notice = await t.attacker.notice("Forbidden");
  expect(notice).toMatchObject({ id: sneaky.id, message: `${mallory.agentId} is banned from this server; content not stored` });
  expect(await t.server.node.storage?.knownState(sneaky.id)).toBeUndefined();
  await bridged.close();
});
