// Same root cause as meta-no-checkpoint: contentSince packs pieces into a message by payload bytes
// only, so many sessions of tiny transactions (session id, signature and JSON overhead are free)
// all land in one content message.
import { idForHeader, makeTrustingTransaction, signerSecretOfAgent, VerifiedLog } from "@cosync/core";
import { expect, test } from "vitest";
import { plainHeader } from "../helpers/nodes.js";
import { blake3, crypto, newAgent, sessionOf } from "../../packages/server/src/test-fixtures/attack-kit.js";

test("40,000 one-transaction sessions are served as one content message", () => {
  const header = plainHeader(crypto);
  const log = new VerifiedLog(idForHeader(header, blake3), header, crypto);
  const agent = newAgent();
  const owner = crypto.agentId(agent);
  for (let i = 0; i < 40_000; i++) log.session(sessionOf(owner)).appendOwn(makeTrustingTransaction([] as never, Date.now()), signerSecretOfAgent(agent), crypto);
  const messages = log.contentSince(undefined);
  const sizes = messages.map((m) => JSON.stringify(m).length);
  console.log(`${messages.length} message(s), largest ${(Math.max(...sizes) / 1e6).toFixed(1)} MB`);
  expect(Math.max(...sizes)).toBeLessThan(8 * 1024 * 1024); // a client's default frame limit
}, 60_000);
