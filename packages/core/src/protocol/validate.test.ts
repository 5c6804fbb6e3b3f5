import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { base58Encode } from "../encoding/base58.js";
import { validateSyncMessage } from "./validate.js";

const id = `co_z${base58Encode(new Uint8Array(19).fill(3))}`;
const session = `${id}_session_z${base58Encode(new Uint8Array(8).fill(4))}`;
const signature = `signature_z${base58Encode(new Uint8Array(64).fill(5))}`;
const tx = { privacy: "trusting", madeAt: 1, changes: "[]" };
const content = { action: "content", id, priority: 3, new: { [session]: { after: 0, newTransactions: [tx], lastSignature: signature } } };

test("validate: well-formed messages of every action pass", () => {
  for (const message of [
    { action: "load", id, header: false, sessions: {} },
    { action: "known", id, header: true, sessions: { [session]: 2 }, isCorrection: true },
    content,
    { ...content, header: { type: "comap", ruleset: { type: "unsafeAllowAll" }, meta: null, uniqueness: "z1" }, expectContentUntil: { [session]: 5 } },
    { action: "done", id },
    { action: "reconcile", id: "batch1", values: [[id, "shortHash_zX"]] },
    { action: "reconcile-ack", id: "batch1" },
  ]) {
    expect(validateSyncMessage(message)).toEqual({ ok: true, value: message });
  }
});

test.each([
  ["not an object", "hello", /message must be an object/],
  ["unknown action", { action: "subscribe", id }, /unknown action "subscribe"/],
  ["bad id", { action: "load", id: "co_x", header: false, sessions: {} }, /id must be a CoValue id/],
  ["header not boolean", { action: "load", id, header: "yes", sessions: {} }, /header must be a boolean/],
  ["bad session id", { action: "known", id, header: true, sessions: { nope: 1 } }, /invalid session id "nope"/],
  ["negative count", { action: "known", id, header: true, sessions: { [session]: -1 } }, /must be a non-negative integer/],
  ["bad priority", { ...content, priority: 4 }, /priority must be 0, 3 or 6/],
  ["bad after", { ...content, new: { [session]: { after: 1.5, newTransactions: [], lastSignature: signature } } }, /after must be a non-negative integer/],
  ["bad signature", { ...content, new: { [session]: { after: 0, newTransactions: [], lastSignature: "sig" } } }, /lastSignature is not a signature/],
  ["float madeAt", { ...content, new: { [session]: { after: 0, newTransactions: [{ ...tx, madeAt: 1.5 }], lastSignature: signature } } }, /newTransactions\[0\]: madeAt must be a non-negative integer/],
  ["bad header", { ...content, header: { type: "comap", ruleset: { type: "x" }, meta: null, uniqueness: 1 } }, /header.ruleset.type/],
  ["float uniqueness", { ...content, header: { type: "comap", ruleset: { type: "unsafeAllowAll" }, meta: null, uniqueness: 1.5 } }, /uniqueness/],
])("validate: %s is refused with a message naming what is wrong", (_name, message, reason) => {
  const result = validateSyncMessage(message);
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.error.message).toMatch(reason);
});

test.prop([fc.jsonValue({ maxDepth: 5 })], { numRuns: 1000 })("validate: any JSON value is accepted or refused, never thrown on", (value) => {
  const result = validateSyncMessage(value);
  expect(typeof result.ok).toBe("boolean");
});

test.prop(
  [fc.record({ action: fc.constantFrom("load", "known", "content", "done"), id: fc.oneof(fc.constant(id), fc.string()), header: fc.anything(), sessions: fc.anything(), new: fc.anything(), priority: fc.anything() }, { requiredKeys: ["action"] })],
  { numRuns: 1000 },
)("validate: messages with arbitrary fields are accepted or refused, never thrown on", (value) => {
  const result = validateSyncMessage(value);
  if (!result.ok) expect(result.error.message.length).toBeGreaterThan(0);
});
