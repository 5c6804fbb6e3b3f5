// Hostile review of relaying: a server encodes relayed content from the canonical text of each
// transaction (what it hashed and stored), so it must relay exactly the bytes the signature
// covers, however odd the JSON the writer sent (extra fields, `__proto__` keys, meta null, huge
// madeAt, escapes), from memory and after a reload from SQLite.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { idForHeader, type SessionId, serializeTransaction, type SessionNewContent, type TrustingTransaction, VerifiedLog, signerIdOfAgent } from "@cosync/core";
import { expect, test } from "vitest";
import { plainHeader } from "../../../tests/helpers/nodes.js";
import { blake3, closedAfterEachTest, crypto, newAgent, sessionOf, signedPieces } from "./test-fixtures/attack-kit.js";
import type { Entry } from "./test-fixtures/raw-client.js";

const { start, raw, track } = closedAfterEachTest();

const odd: TrustingTransaction[] = [
  { privacy: "trusting", madeAt: 2 ** 60, changes: '[{"op":"set","key":"k","value":"\\u2028 \\"q\\" é 😀"}]' },
  { privacy: "trusting", madeAt: 0, changes: "[]", meta: '{"__proto__":{"x":1}}' },
  { privacy: "trusting", madeAt: 1_700_000_000_000, changes: "[]" },
];

/** The same transactions as sent on the wire: extra fields, an own `__proto__` key, meta null, fields out of order. */
function hostileText(id: string, session: SessionId, pieces: SessionNewContent[]): string {
  const lines = pieces.map((piece, index) => {
    const txs = piece.newTransactions.map((tx, i) => {
      const canonical = serializeTransaction(tx).slice(1, -1);
      const extra = (index + i) % 2 === 0 ? '"__proto__":{"privacy":"private"},"zzz":[1,2],' : '"meta":null,"extra":"x",';
      return tx.meta === undefined ? `{${extra}${canonical}}` : `{"zzz":null,${canonical}}`;
    });
    const header = index === 0 ? `"header":${JSON.stringify(plainHeaderFor)},` : "";
    return `{"action":"content","id":"${id}",${header}"priority":3,"new":{"${session}":{"after":${piece.after},"newTransactions":[${txs.join(",")}],"lastSignature":"${piece.lastSignature}"}}}`;
  });
  return lines.join("\n");
}
let plainHeaderFor = plainHeader(crypto);

test("refused: a server relays exactly the signed canonical text of odd transactions, from memory and from SQLite", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cosync-odd-relay-"));
  track(() => rm(dir, { recursive: true, force: true }));
  const db = join(dir, "storage.db");
  plainHeaderFor = plainHeader(crypto);
  const id = idForHeader(plainHeaderFor, blake3);
  const agent = newAgent();
  const session = sessionOf(crypto.agentId(agent));
  const pieces = signedPieces(session, agent, [odd.slice(0, 2), odd.slice(2)]);
  const signedTexts = odd.map(serializeTransaction);

  const fetchAndCheck = async (url: string) => {
    const reader = await raw({ url } as never);
    const frames: string[] = [];
    reader.ws.on("message", (data) => frames.push(data.toString()));
    reader.send({ action: "load", id, header: false, sessions: {} });
    await reader.waitFor((entry) => entry.action === "done" && entry.id === id, "done");
    const received = reader.entries.filter((entry): entry is Entry & { new: Record<string, SessionNewContent> } => entry.action === "content" && entry.id === id);
    const relayed = received.flatMap((entry) => entry.new[session]?.newTransactions ?? []);
    // Parsed, each is the signed transaction; as text, the signed bytes themselves.
    expect(relayed.map((tx) => serializeTransaction(tx as TrustingTransaction))).toEqual(signedTexts);
    for (const text of signedTexts) expect(frames.join("\n")).toContain(text);
    expect(frames.join("\n")).not.toContain("zzz");
    expect(frames.join("\n")).not.toContain("__proto__\":{\"privacy");
    // A fresh verifier takes every relayed piece.
    const log = new VerifiedLog(id, plainHeaderFor, crypto);
    for (const entry of received) {
      expect(log.addPieces(entry.new as never, () => ({ signer: signerIdOfAgent(crypto.agentId(agent)) })).map((o) => o.type)).toEqual(["Applied"]);
    }
    await reader.close();
  };

  const first = await start({ inMemory: false, db });
  const writer = await raw(first);
  writer.sendText(hostileText(id, session, pieces));
  await writer.waitFor((entry) => entry.action === "known" && (entry.sessions as Record<string, number>)[session] === 3, "the ack");
  // The first piece again, overlapping what is held (same transactions, other extra fields): no Conflict.
  writer.sendText(hostileText(id, session, pieces.slice(0, 1)).replace('"zzz":[1,2]', '"zzz":[3]'));
  await writer.waitFor((entry) => entry.action === "known" && entry.isCorrection !== true && writer.entries.filter((e) => e.action === "known").length >= 2, "the second ack");
  expect(writer.entries.filter((entry) => entry.error !== undefined)).toEqual([]);
  await fetchAndCheck(first.url);
  await writer.close();
  await first.close();

  const second = await start({ inMemory: false, db });
  await fetchAndCheck(second.url);
});
