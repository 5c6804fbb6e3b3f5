import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { base58Encode } from "../encoding/base58.js";
import { FormatError } from "../errors.js";
import { parseAgentId, parseAgentSecret } from "./agent-id.js";
import { coIdFromHash, isCoId, parseCoId } from "./co-id.js";
import { isKeyId, parseInviteSecret, parseKeySecret, parseSignature } from "./crypto-strings.js";
import { isDeleteSessionId, parseSessionId, parseSessionIdParts, sessionOwner } from "./session-id.js";

const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);
const coId = `co_z${base58Encode(bytes(19))}`;
const agentId = `sealer_z${base58Encode(bytes(32, 1))}/signer_z${base58Encode(bytes(32, 2))}`;

test("co id: accepts co_z + 19 bytes and names what is wrong otherwise", () => {
  expect(parseCoId(coId)).toBe(coId);
  expect(coIdFromHash(bytes(32))).toBe(coId);
  expect(() => parseCoId("co_x123")).toThrow(/id: expected a CoValue id \("co_z…"\)/);
  expect(() => parseCoId(`co_z${base58Encode(bytes(20))}`, "target")).toThrow(/target: .*encodes 20 bytes, expected 19/);
  expect(() => parseCoId("co_z0OIl")).toThrow(/not valid base58/);
  expect(() => parseCoId(42)).toThrow(FormatError);
});

test("agent ids and secrets: both halves are checked", () => {
  expect(parseAgentId(agentId)).toBe(agentId);
  expect(() => parseAgentId(`sealer_z${base58Encode(bytes(32))}`)).toThrow(/agentId: expected an agent id/);
  expect(() => parseAgentId(`sealer_z${base58Encode(bytes(32))}/signer_zshort`)).toThrow(/signer id/);
  const secret = `sealerSecret_z${base58Encode(bytes(32))}/signerSecret_z${base58Encode(bytes(32))}`;
  expect(parseAgentSecret(secret)).toBe(secret);
  expect(() => parseAgentSecret(agentId)).toThrow(/sealer secret/);
});

test("session ids: account, agent and delete sessions parse; malformed ones say why", () => {
  const accountSession = `${coId}_session_z${base58Encode(bytes(8))}`;
  const agentSession = `${agentId}_session_z${base58Encode(bytes(8))}`;
  const deleteSession = `${coId}_session_d${base58Encode(bytes(7))}$`;
  expect(parseSessionIdParts(accountSession)).toEqual({ owner: coId, ownerKind: "account", kind: "active" });
  expect(parseSessionIdParts(agentSession)).toEqual({ owner: agentId, ownerKind: "agent", kind: "active" });
  expect(parseSessionIdParts(deleteSession)).toEqual({ owner: coId, ownerKind: "account", kind: "delete" });
  expect(isDeleteSessionId(deleteSession)).toBe(true);
  expect(isDeleteSessionId(accountSession)).toBe(false);
  expect(sessionOwner(parseSessionId(agentSession))).toBe(agentId);
  expect(() => parseSessionId(`${coId}_sess_z1`)).toThrow(/has no "_session_" part/);
  expect(() => parseSessionId(`${coId}_session_z${base58Encode(bytes(9))}`)).toThrow(/8 bytes/);
  expect(() => parseSessionId(`${coId}_session_d${base58Encode(bytes(7))}`)).toThrow(/_session_d…\$/);
  expect(() => parseSessionId(`co_zbad_session_z${base58Encode(bytes(8))}`)).toThrow(/session id owner/);
});

test("key ids, secrets, signatures and invite secrets check prefix and length", () => {
  expect(isKeyId(`key_z${base58Encode(bytes(12))}`)).toBe(true);
  expect(isKeyId(`key_z${base58Encode(bytes(13))}`)).toBe(false);
  expect(() => parseKeySecret(`keySecret_z${base58Encode(bytes(31))}`)).toThrow(/keySecret: .*31 bytes, expected 32/);
  expect(() => parseSignature("signature_zabc")).toThrow(/signature/);
  expect(parseInviteSecret(`inviteSecret_z${base58Encode(bytes(32))}`)).toMatch(/^inviteSecret_z/);
});

test.prop([fc.string({ maxLength: 80 })], { numRuns: 500 })("id parsers: arbitrary strings never crash, only refuse", (text) => {
  for (const parse of [parseCoId, parseAgentId, parseSessionId, parseSignature]) {
    try {
      parse(text);
    } catch (error) {
      expect(error).toBeInstanceOf(FormatError);
    }
  }
  expect(typeof isCoId(text)).toBe("boolean");
});

test.prop([fc.uint8Array({ minLength: 19, maxLength: 19 })])("co id: every 19-byte hash round-trips", (hash) => {
  expect(isCoId(coIdFromHash(hash))).toBe(true);
});

test.prop([fc.uint8Array({ minLength: 18, maxLength: 20 })], { numRuns: 300 })(
  "id checks remember valid ids; the verdict never changes on a second look (issue 8)",
  (hash) => {
    const id = `co_z${base58Encode(hash)}`;
    for (let look = 0; look < 2; look++) {
      expect(isCoId(id)).toBe(hash.length === 19);
      expect(isCoId(`${id}0`)).toBe(false);
      expect(isCoId(id.replace("co_z", "co_y"))).toBe(false);
      // A remembered co id is still no id of another format.
      expect(() => parseAgentId(id)).toThrow(FormatError);
    }
  },
);

test("ids far longer than their format are refused before their base58 is decoded (decoding is quadratic: a 150k-digit id froze a server for seconds)", () => {
  expect(isCoId(`co_z${"z".repeat(150_000)}`)).toBe(false);
  expect(() => parseCoId(`co_z${"z".repeat(150_000)}`)).toThrow(/is too long for 19 bytes/);
  expect(() => parseSignature(`signature_z${"2".repeat(10_000)}`)).toThrow(/is too long for 64 bytes/);
  // Near misses are still decoded, so the message says what they hold.
  expect(() => parseCoId(`co_z${base58Encode(new Uint8Array(20).fill(7))}`)).toThrow(/encodes 20 bytes, expected 19/);
});

test("formats: a name starting with a vowel takes 'an' in errors (an invite secret, a key id)", () => {
  expect(() => parseInviteSecret("nope")).toThrow(/inviteSecret: expected an invite secret \("inviteSecret_z…"\), got "nope"/);
  expect(() => parseInviteSecret(7)).toThrow(/inviteSecret: expected an invite secret string, got/);
  expect(() => parseKeySecret("nope")).toThrow(/expected a key secret \("keySecret_z…"\)/);
});
