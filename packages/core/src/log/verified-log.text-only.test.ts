import { loadNodeCryptoProvider } from "@cosync/crypto";
import { expect, test, vi } from "vitest";
import { CoCrypto } from "../crypto/co-crypto.js";
import { type CoValueHeader, idForHeader } from "../covalues/header.js";
import { signerIdOfAgent, signerSecretOfAgent } from "../ids/agent-id.js";
import type { SessionId } from "../ids/session-id.js";
import { encodeSyncMessage } from "../protocol/encode-message.js";
import { makeTrustingTransaction } from "./make-transaction.js";
import { VerifiedLog } from "./verified-log.js";

/** A list value's log with one agent session, as its writer holds it. */
async function aWriter() {
  const crypto = new CoCrypto(await loadNodeCryptoProvider());
  const header: CoValueHeader = { type: "colist", ruleset: { type: "unsafeAllowAll" }, meta: null, createdAt: "2026-12-07T00:00:00.000Z", uniqueness: crypto.newUniqueness() };
  const id = idForHeader(header, (bytes) => crypto.provider.blake3(bytes));
  const agent = crypto.newRandomAgentSecret();
  const sessionId = `${crypto.agentId(agent)}_session_z${crypto.newSessionRandomPart()}` as SessionId;
  return { crypto, header, id, agent, sessionId, writer: new VerifiedLog(id, header, crypto) };
}

test("a log keeping received transactions as text only relays, re-encodes and reads them as one keeping them parsed", async () => {
  const { crypto, header, id, agent, sessionId, writer } = await aWriter();
  const written = writer.session(sessionId);
  for (let i = 0; i < 30; i++) written.appendOwn(makeTrustingTransaction([{ op: "app", value: `item ${i} "quoted" é` }], 1_700_000_000_000 + i, i % 3 === 0 ? { note: "m" } : undefined), signerSecretOfAgent(agent), crypto);
  const resolveSigner = () => ({ signer: signerIdOfAgent(crypto.agentId(agent)) });

  const relays = [new VerifiedLog(id, header, crypto, false), new VerifiedLog(id, header, crypto, true)];
  for (const relay of relays) {
    for (const message of writer.contentSince(undefined)) {
      expect(relay.addPieces(message.new, resolveSigner).map((outcome) => outcome.type)).toEqual(["Applied"]);
    }
  }
  const [textOnly, parsed] = relays as [VerifiedLog, VerifiedLog];
  expect(textOnly.session(sessionId).serialized).toEqual(written.serialized);

  // Relaying encodes from the texts: nothing is parsed again, and the bytes are the same.
  const parse = vi.spyOn(JSON, "parse");
  const relayed = textOnly.contentSince({ id, header: false, sessions: { [sessionId]: 5 } }).map(encodeSyncMessage);
  expect(parse).not.toHaveBeenCalled();
  parse.mockRestore();
  expect(relayed).toEqual(parsed.contentSince({ id, header: false, sessions: { [sessionId]: 5 } }).map(encodeSyncMessage));

  // Read, they are parsed from the text: the same transactions as the writer's.
  expect(textOnly.session(sessionId).transactions).toEqual(written.transactions);
  const [message] = textOnly.contentSince(undefined);
  expect(Object.values(message?.new ?? {})[0]?.newTransactions).toEqual(written.transactions);
  // And more can be received on top.
  written.appendOwn(makeTrustingTransaction([{ op: "app", value: "late" }], 1_800_000_000_000), signerSecretOfAgent(agent), crypto);
  const late = writer.contentSince({ id, header: true, sessions: { [sessionId]: 30 } });
  for (const m of late) expect(textOnly.addPieces(m.new, resolveSigner).map((outcome) => outcome.type)).toEqual(["Applied"]);
  expect(textOnly.session(sessionId).count).toBe(31);
  expect(textOnly.session(sessionId).transactions).toEqual(written.transactions);
});

test("reading a piece cut from a text-only log (a size measure, a trace line) does not make the log keep those transactions parsed", async () => {
  const { crypto, header, id, agent, sessionId, writer } = await aWriter();
  for (let i = 0; i < 20; i++) writer.session(sessionId).appendOwn(makeTrustingTransaction([{ op: "app", value: i }], 1_700_000_000_000 + i), signerSecretOfAgent(agent), crypto);
  const relay = new VerifiedLog(id, header, crypto, false);
  for (const message of writer.contentSince(undefined)) relay.addPieces(message.new, () => ({ signer: signerIdOfAgent(crypto.agentId(agent)) }));

  // What a server does with an outgoing message it does not encode (dropped on a closed socket,
  // traced): reads each piece's transactions. Pinned in the log, every value a peer can make the
  // server read that way would stay parsed for good — the memory this option exists to save.
  const parse = vi.spyOn(JSON, "parse");
  for (const message of relay.contentSince(undefined)) for (const piece of Object.values(message.new)) expect(piece.newTransactions).toHaveLength(20);
  expect(parse).toHaveBeenCalledTimes(20);
  for (const message of relay.contentSince(undefined)) for (const piece of Object.values(message.new)) expect(piece.newTransactions).toHaveLength(20);
  expect(parse).toHaveBeenCalledTimes(40); // parsed again: the log kept only the texts
  parse.mockRestore();
  expect(relay.session(sessionId).transactions).toEqual(writer.session(sessionId).transactions);
});
