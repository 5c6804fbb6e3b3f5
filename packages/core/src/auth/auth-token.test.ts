import { loadNodeCryptoProvider } from "@cosync/crypto";
import { fc, test as propertyTest } from "@fast-check/vitest";
import { beforeAll, describe, expect, test } from "vitest";
import { CoCrypto } from "../crypto/co-crypto.js";
import { base64urlDecode, base64urlEncode } from "../encoding/base64url.js";
import { utf8Decode, utf8Encode } from "../encoding/utf8.js";
import type { AgentSecret } from "../ids/agent-id.js";
import { coIdFromHash } from "../ids/co-id.js";
import { signerSecretOfAgent } from "../ids/agent-id.js";
import { mintAuthToken, mintSignupToken, readAuthToken, signupTokenProblem } from "./auth-token.js";

let crypto: CoCrypto;
let agentSecret: AgentSecret;
const audience = "ws://127.0.0.1:4200";
const now = 1_800_000_000_000;
let accountId: ReturnType<typeof coIdFromHash>;

beforeAll(async () => {
  crypto = new CoCrypto(await loadNodeCryptoProvider());
  agentSecret = crypto.newRandomAgentSecret();
  accountId = coIdFromHash(crypto.provider.randomBytes(32));
});

const mint = (overrides: { ttlMs?: number; now?: number; agentSecret?: AgentSecret } = {}) =>
  mintAuthToken(crypto, { accountId, agentSecret, audience, now, ...overrides });

/** Re-encodes a token's payload after `change`, keeping its (now wrong) signature. */
function tampered(token: string, change: (payload: Record<string, unknown>) => void): string {
  const [prefix, body, signature] = token.split(".") as [string, string, string];
  const payload = JSON.parse(utf8Decode(base64urlDecode(body))) as Record<string, unknown>;
  change(payload);
  return `${prefix}.${base64urlEncode(utf8Encode(JSON.stringify(payload)))}.${signature}`;
}

describe("auth tokens", () => {
  test("a minted token reads back as its claims", () => {
    const result = readAuthToken(crypto, mint(), { audience, now: now + 1000 });
    expect(result).toEqual({
      ok: true,
      value: expect.objectContaining({ accountId, agentId: crypto.agentId(agentSecret), audience, issuedAt: now, expiresAt: now + 3_600_000 }),
    });
  });

  test.each([
    ["acc", (p: Record<string, unknown>) => (p.acc = "co_zAnotherAccount1111111111")],
    ["aud", (p: Record<string, unknown>) => (p.aud = "ws://evil.example")],
    ["exp", (p: Record<string, unknown>) => (p.exp = (p.exp as number) + 1)],
    ["iat", (p: Record<string, unknown>) => (p.iat = (p.iat as number) - 1)],
    ["nonce", (p: Record<string, unknown>) => (p.nonce = "zOther")],
  ])("changing %s breaks the signature (or the form)", (_field, change) => {
    const result = readAuthToken(crypto, tampered(mint(), change), { audience, now });
    expect(result.ok).toBe(false);
  });

  test("a token signed by another agent than it names is refused", () => {
    const other = crypto.newRandomAgentSecret();
    const forged = tampered(mint({ agentSecret: other }), (p) => (p.agent = crypto.agentId(agentSecret)));
    expect(readAuthToken(crypto, forged, { audience, now })).toEqual({ ok: false, error: "the token's signature is not its agent's" });
  });

  test("audience, expiry, issue time and lifetime are checked, each with its reason", () => {
    expect(readAuthToken(crypto, mint(), { audience: "wss://other", now })).toMatchObject({ ok: false, error: expect.stringMatching(/is for .* not this server/) });
    expect(readAuthToken(crypto, mint({ ttlMs: 10 }), { audience, now: now + 10 })).toMatchObject({ ok: false, error: expect.stringMatching(/expired/) });
    expect(readAuthToken(crypto, mint({ now: now + 120_000 }), { audience, now })).toMatchObject({ ok: false, error: expect.stringMatching(/future/) });
    expect(readAuthToken(crypto, mint({ ttlMs: 48 * 3_600_000 }), { audience, now })).toMatchObject({ ok: false, error: expect.stringMatching(/lives longer/) });
  });

  test("minting refuses what could never verify", () => {
    expect(() => mintAuthToken(crypto, { accountId: "nope" as never, agentSecret, audience })).toThrow(/accountId/);
    expect(() => mintAuthToken(crypto, { accountId, agentSecret, audience: "" })).toThrow(/audience/);
    expect(() => mintAuthToken(crypto, { accountId, agentSecret, audience, ttlMs: -1 })).toThrow(/ttlMs/);
  });

  test("sign-up tokens: only the issuing server's, only until they expire", () => {
    const server = signerSecretOfAgent(crypto.newRandomAgentSecret());
    const other = signerSecretOfAgent(crypto.newRandomAgentSecret());
    const token = mintSignupToken(crypto, server, { ttlMs: 1000, now });
    expect(signupTokenProblem(crypto, token, crypto.signerId(server), now + 999)).toBeUndefined();
    expect(signupTokenProblem(crypto, token, crypto.signerId(server), now + 1000)).toMatch(/expired/);
    expect(signupTokenProblem(crypto, token, crypto.signerId(other), now)).toMatch(/not issued by this server/);
    expect(signupTokenProblem(crypto, mint(), crypto.signerId(server), now)).toMatch(/form cosync-signup/);
    expect(signupTokenProblem(crypto, "cosync-signup.e30=.x", crypto.signerId(server), now)).toMatch(/not a sign-up token/);
  });

  propertyTest.prop([fc.oneof(fc.string(), fc.anything())], { numRuns: 500 })("any input is read without throwing and refused", (input) => {
    const result = readAuthToken(crypto, input, { audience, now });
    expect(result.ok).toBe(false);
  });

  propertyTest.prop([fc.string({ maxLength: 40 }), fc.string({ maxLength: 200 }), fc.string({ maxLength: 100 })], { numRuns: 300 })(
    "three-part garbage is refused with a reason",
    (a, b, c) => {
      const result = readAuthToken(crypto, `cosync-auth.${a}${b}.${c}`, { audience, now });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.length).toBeGreaterThan(10);
    },
  );
});
