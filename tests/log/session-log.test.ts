import { type CoId, makeTrustingTransaction, type SessionId, SessionLog, type Signature, VerifiedLog } from "@cosync/core";
import { expect, test } from "vitest";
import { plainHeader, testCrypto } from "../helpers/nodes.js";

async function writer(transactions: number, size = 10) {
  const crypto = await testCrypto();
  const secret = crypto.newRandomAgentSecret();
  const agent = crypto.agentId(secret);
  const sessionId = `${agent}_session_z${crypto.newSessionRandomPart()}` as SessionId;
  const log = new SessionLog(sessionId, crypto.provider.createHashChain());
  const signatures: Signature[] = [];
  for (let i = 0; i < transactions; i++) {
    signatures.push(log.appendOwn(makeTrustingTransaction([{ i, pad: "p".repeat(size) }], 1000 + i), secret.split("/")[1] as never, crypto).signature);
  }
  return { crypto, log, signatures, signer: agent.split("/")[1] as never, sessionId };
}

test("session log: a received batch is verified with one signature and appended", async () => {
  const { crypto, log, signer, sessionId } = await writer(5);
  const receiver = new SessionLog(sessionId, crypto.provider.createHashChain());
  const result = receiver.addVerified({ after: 0, newTransactions: log.transactions, lastSignature: log.lastSignature as Signature }, signer, crypto);
  expect(result).toMatchObject({ ok: true, value: { from: 0 } });
  expect(receiver.count).toBe(5);
});

test("session log: refusals are typed — gap, bad signature, wrong signer — and change nothing", async () => {
  const { crypto, log, signatures, signer, sessionId } = await writer(4);
  const receiver = new SessionLog(sessionId, crypto.provider.createHashChain());
  receiver.addVerified({ after: 0, newTransactions: log.transactions.slice(0, 2), lastSignature: signatures[1] as Signature }, signer, crypto);

  const gap = receiver.addVerified({ after: 3, newTransactions: log.transactions.slice(3), lastSignature: signatures[3] as Signature }, signer, crypto);
  expect(gap).toEqual({ ok: false, error: { type: "Gap", sessionId, have: 2, after: 3 } });

  const wrongSignature = receiver.addVerified({ after: 2, newTransactions: log.transactions.slice(2), lastSignature: signatures[2] as Signature }, signer, crypto);
  expect(wrongSignature).toEqual({ ok: false, error: { type: "InvalidSignature", sessionId, after: 2 } });

  const stranger = crypto.agentId(crypto.newRandomAgentSecret()).split("/")[1] as never;
  const wrongSigner = receiver.addVerified({ after: 2, newTransactions: log.transactions.slice(2), lastSignature: signatures[3] as Signature }, stranger, crypto);
  expect(wrongSigner).toEqual({ ok: false, error: { type: "InvalidSignature", sessionId, after: 2 } });
  expect(receiver.count).toBe(2);

  // A sender lagging behind (after < what we hold) only adds the unseen suffix.
  const overlap = receiver.addVerified({ after: 1, newTransactions: log.transactions.slice(1), lastSignature: signatures[3] as Signature }, signer, crypto);
  expect(overlap).toMatchObject({ ok: true, value: { from: 2 } });
  expect(receiver.count).toBe(4);
});

test("session log: local writes get checkpoints about every 100 KiB, and content is cut only there", async () => {
  // 300 transactions of ~1 KB, as the spec's check against real cojson: pieces of 0/74 | 74/74 | … | 296/4.
  const { crypto, log, sessionId } = await writer(300, 1375);
  const header = plainHeader(crypto);
  const verified = new VerifiedLog("co_zTest" as CoId, header, crypto);
  verified.sessions.set(sessionId, log);
  const pieces = verified.contentSince(undefined).map((m) => {
    const piece = Object.values(m.new)[0];
    return `${piece?.after}/${piece?.newTransactions.length}`;
  });
  expect(pieces).toEqual(["0/74", "74/74", "148/74", "222/74", "296/4"]);
  const first = verified.contentSince(undefined)[0];
  expect(first?.header).toEqual(header);
  expect(first?.expectContentUntil).toEqual({ [sessionId]: 300 });
});
