// Authentication tokens: a client proves to a server that it holds the agent secret of an
// account, in a string short enough for a connection URL (`?auth=…`), so any WebSocket client —
// a stock cojson/jazz-tools one included — can carry it.
//
// Format: `cosync-auth.<base64url(canonical JSON payload)>.<signature_z…>`, the signature made by
// the account's agent over the payload object. The payload names its purpose, so no transaction
// signature (those sign a `hash_z…` string) can ever pass for a token, nor a token for one.
import type { CoCrypto } from "../crypto/co-crypto.js";
import { base64urlDecode, base64urlEncode } from "../encoding/base64url.js";
import { canonicalJsonOf } from "../encoding/canonical-json.js";
import { utf8Decode, utf8Encode } from "../encoding/utf8.js";
import { describeValue } from "../errors.js";
import {
  type AgentId,
  type AgentSecret,
  agentIdProblem,
  type SignerId,
  type SignerSecret,
  signerIdOfAgent,
  signerSecretOfAgent,
} from "../ids/agent-id.js";
import { type CoId, isCoId } from "../ids/co-id.js";
import type { Signature } from "../ids/crypto-strings.js";
import { err, ok, type Result } from "../result.js";
import { systemClock } from "../time/clock.js";
import { isoTimestamp } from "../time/iso-time.js";

const PREFIX = "cosync-auth";
const PURPOSE = "cosync-auth";

/** What a token states, once its signature checked out. */
export interface AuthTokenClaims {
  readonly accountId: CoId;
  readonly agentId: AgentId;
  /** Who the token is for: the server's origin (e.g. "wss://sync.example.com"), checked by the server. */
  readonly audience: string;
  /** Milliseconds since the epoch. */
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly nonce: string;
}

export interface MintAuthTokenOptions {
  readonly accountId: CoId;
  readonly agentSecret: AgentSecret;
  readonly audience: string;
  /** Lifetime; default 1 hour (a reconnecting client reuses its URL, so not much shorter). */
  readonly ttlMs?: number;
  readonly now?: number;
}

/** Mints a token for `accountId`, signed by its agent (see the module comment for the format). */
export function mintAuthToken(crypto: CoCrypto, options: MintAuthTokenOptions): string {
  if (!isCoId(options.accountId)) throw new TypeError(`accountId: expected a CoValue id, got ${describeValue(options.accountId)}`);
  if (typeof options.audience !== "string" || options.audience === "") throw new TypeError("audience: expected the server's origin");
  const now = options.now ?? systemClock().now();
  const ttlMs = options.ttlMs ?? 60 * 60 * 1000;
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs: expected a positive integer, got ${ttlMs}`);
  const payload = {
    purpose: PURPOSE,
    acc: options.accountId,
    agent: crypto.agentId(options.agentSecret),
    aud: options.audience,
    iat: now,
    exp: now + ttlMs,
    nonce: crypto.newUniqueness(),
  };
  const signature = crypto.sign(signerSecretOfAgent(options.agentSecret), payload);
  return `${PREFIX}.${base64urlEncode(utf8Encode(canonicalJsonOf(payload)))}.${signature}`;
}

export interface ReadAuthTokenOptions {
  /** The audience this server answers to; a token for another is refused. */
  readonly audience: string;
  readonly now?: number;
  /** Longest lifetime accepted (exp − iat); default 24 hours. */
  readonly maxTtlMs?: number;
  /** Clock skew tolerated for `iat` in the future; default 60 s. */
  readonly skewMs?: number;
}

/**
 * Checks a token's form, signature (by the agent it names), audience and lifetime. Whether that
 * agent really is the account's current agent is for the caller, who holds (or not) the account.
 */
export function readAuthToken(crypto: CoCrypto, token: unknown, options: ReadAuthTokenOptions): Result<AuthTokenClaims, string> {
  if (typeof token !== "string" || token.length > 4096) return err("the token is not a string of at most 4096 characters");
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== PREFIX) return err(`a token has the form ${PREFIX}.<payload>.<signature>`);
  let payload: Record<string, unknown>;
  try {
    const decoded: unknown = JSON.parse(utf8Decode(base64urlDecode(parts[1] as string)));
    if (decoded === null || typeof decoded !== "object" || Array.isArray(decoded)) return err("the token's payload is not an object");
    payload = decoded as Record<string, unknown>;
  } catch {
    return err("the token's payload is not base64url JSON");
  }
  const { purpose, acc, agent, aud, iat, exp, nonce } = payload;
  if (purpose !== PURPOSE) return err("the token's payload is not an authentication token");
  if (!isCoId(acc)) return err(`the token's account ${describeValue(acc)} is not a CoValue id`);
  const agentProblem = agentIdProblem(agent);
  if (agentProblem !== undefined) return err(`the token's agent: ${agentProblem}`);
  if (typeof aud !== "string" || typeof nonce !== "string" || !Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) {
    return err("the token's payload lacks aud, iat, exp or nonce");
  }
  if (!crypto.verify(parts[2] as Signature, payload as never, signerIdOfAgent(agent as AgentId))) {
    return err("the token's signature is not its agent's");
  }
  const now = options.now ?? systemClock().now();
  if (aud !== options.audience) return err(`the token is for ${describeValue(aud)}, not this server (${options.audience})`);
  if ((exp as number) <= now) return err(`the token expired at ${isoTimestamp(exp as number)}`);
  if ((iat as number) > now + (options.skewMs ?? 60_000)) return err("the token was issued in the future");
  const maxTtlMs = options.maxTtlMs ?? 24 * 60 * 60 * 1000;
  if ((exp as number) - (iat as number) > maxTtlMs) return err(`the token lives longer than the ${maxTtlMs} ms this server accepts`);
  return ok({ accountId: acc, agentId: agent as AgentId, audience: aud, issuedAt: iat as number, expiresAt: exp as number, nonce });
}

const SIGNUP_PREFIX = "cosync-signup";
const SIGNUP_PURPOSE = "cosync-signup";

/**
 * A sign-up invitation a server issues with its own key (`--signup invite`): whoever holds it may
 * create an account there until it expires. Format: `cosync-signup.<payload>.<server signature>`.
 */
export function mintSignupToken(crypto: CoCrypto, serverSecret: SignerSecret, options: { readonly ttlMs: number; readonly now?: number }): string {
  if (!Number.isInteger(options.ttlMs) || options.ttlMs <= 0) throw new RangeError(`ttlMs: expected a positive integer, got ${options.ttlMs}`);
  const now = options.now ?? systemClock().now();
  const payload = { purpose: SIGNUP_PURPOSE, exp: now + options.ttlMs, nonce: crypto.newUniqueness() };
  return `${SIGNUP_PREFIX}.${base64urlEncode(utf8Encode(canonicalJsonOf(payload)))}.${crypto.sign(serverSecret, payload)}`;
}

/** Checks a sign-up token against the server's own signer; why not, if it fails. */
export function signupTokenProblem(crypto: CoCrypto, token: unknown, server: SignerId, now = systemClock().now()): string | undefined {
  if (typeof token !== "string" || token.length > 1024) return "the sign-up token is not a string of at most 1024 characters";
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== SIGNUP_PREFIX) return `a sign-up token has the form ${SIGNUP_PREFIX}.<payload>.<signature>`;
  let payload: { purpose?: unknown; exp?: unknown };
  try {
    payload = JSON.parse(utf8Decode(base64urlDecode(parts[1] as string))) as typeof payload;
  } catch {
    return "the sign-up token's payload is not base64url JSON";
  }
  if (payload === null || typeof payload !== "object" || payload.purpose !== SIGNUP_PURPOSE || !Number.isSafeInteger(payload.exp)) {
    return "not a sign-up token";
  }
  if (!crypto.verify(parts[2] as Signature, payload as never, server)) return "the sign-up token was not issued by this server";
  if ((payload.exp as number) <= now) return `the sign-up token expired at ${isoTimestamp(payload.exp as number)}`;
  return undefined;
}
