import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { base58Encode } from "../encoding/base58.js";
import { serializeTransaction, type Transaction } from "../log/transaction.js";
import { encodeSyncMessage, withTransactionTexts } from "./encode-message.js";
import type { SessionNewContent } from "./messages.js";

const id = `co_z${base58Encode(new Uint8Array(19).fill(3))}`;
const sessionOf = (n: number) => `${id}_session_z${base58Encode(new Uint8Array(8).fill(n + 1))}`;
const signature = `signature_z${base58Encode(new Uint8Array(64).fill(5))}`;

const transaction: fc.Arbitrary<Transaction> = fc.oneof(
  fc.record(
    { privacy: fc.constant("trusting" as const), madeAt: fc.nat(), changes: fc.string({ unit: "grapheme" }), meta: fc.string() },
    { requiredKeys: ["privacy", "madeAt", "changes"] },
  ),
  fc.record(
    {
      privacy: fc.constant("private" as const),
      madeAt: fc.nat(),
      keyUsed: fc.string().map((s) => `key_z${s}`),
      encryptedChanges: fc.base64String().map((s) => `encrypted_U${s}`),
      meta: fc.string().map((s) => `encrypted_U${s}`),
    },
    { requiredKeys: ["privacy", "madeAt", "keyUsed", "encryptedChanges"] },
  ),
) as fc.Arbitrary<Transaction>;

const piece = (transactions: Transaction[], after: number): SessionNewContent =>
  withTransactionTexts({ after, newTransactions: transactions, lastSignature: signature as SessionNewContent["lastSignature"] }, transactions.map(serializeTransaction));

test.prop([fc.array(fc.array(transaction, { maxLength: 5 }), { maxLength: 4 }), fc.boolean(), fc.boolean()])(
  "encodeSyncMessage: a content message reads back as JSON.stringify writes it, from the transactions' canonical texts",
  (sessions, withHeader, streaming) => {
    const message = {
      action: "content",
      id,
      ...(withHeader ? { header: { type: "comap", ruleset: { type: "unsafeAllowAll" }, meta: null, uniqueness: "z1" } } : {}),
      priority: 3,
      new: Object.fromEntries(sessions.map((transactions, n) => [sessionOf(n), piece(transactions, n)])),
      ...(streaming ? { expectContentUntil: { [sessionOf(0)]: 9 } } : {}),
      skipped: undefined,
    };
    const text = encodeSyncMessage(message);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(message)));
    // Each transaction is written exactly as it was hashed (alphabetical fields).
    for (const transactions of sessions) for (const tx of transactions) expect(text).toContain(serializeTransaction(tx));
  },
);

test("encodeSyncMessage: pieces without texts are written by JSON.stringify; pieces with texts never read their transactions", () => {
  const tx: Transaction = { privacy: "trusting", madeAt: 1, changes: "[]" };
  const plain = { after: 0, newTransactions: [tx], lastSignature: signature };
  const message = { action: "content", id, priority: 3, new: { [sessionOf(0)]: plain } };
  expect(encodeSyncMessage(message)).toBe(JSON.stringify(message));
  let reads = 0;
  const lazy = withTransactionTexts(
    {
      after: 0,
      get newTransactions() {
        reads++;
        return [tx];
      },
      lastSignature: signature as SessionNewContent["lastSignature"],
    },
    [serializeTransaction(tx)],
  );
  const text = encodeSyncMessage({ ...message, new: { [sessionOf(0)]: lazy } });
  expect(reads).toBe(0);
  expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(message)));
});

test("encodeSyncMessage: other messages are JSON.stringify's text", () => {
  const known = { action: "known", id, header: true, sessions: { [sessionOf(0)]: 2 } };
  expect(encodeSyncMessage(known)).toBe(JSON.stringify(known));
});
