// Signed durability receipts: a server's signature on "I stored, durably, this known state of this
// value at this time". A client keeps them as evidence; what one proves is in docs/receipts.md.
import type { CoCrypto } from "../crypto/co-crypto.js";
import { describeValue } from "../errors.js";
import type { SignerId, SignerSecret } from "../ids/agent-id.js";
import { type CoId, isCoId } from "../ids/co-id.js";
import type { Signature } from "../ids/crypto-strings.js";
import type { SessionId } from "../ids/session-id.js";
import { err, ok, type Result } from "../result.js";
import type { KnownState } from "../sync/known-state.js";

const PURPOSE = "cosync-receipt";

/** What a server signs. Plain JSON, so receipts can be stored and passed around as they are. */
export interface ReceiptClaims {
  readonly purpose: typeof PURPOSE;
  /** The server's signer id (published at `/.well-known/cosync-server-key`). */
  readonly server: SignerId;
  readonly id: CoId;
  /** Transactions per session held durably when signed. */
  readonly sessions: Readonly<Record<SessionId, number>>;
  /** Milliseconds since the epoch, by the server's clock. */
  readonly storedAt: number;
}

export interface DurabilityReceipt {
  readonly claims: ReceiptClaims;
  readonly signature: Signature;
}

/** Signs a receipt (server side) for a known state its storage committed. */
export function signReceipt(crypto: CoCrypto, secret: SignerSecret, state: KnownState, storedAt: number): DurabilityReceipt {
  const claims: ReceiptClaims = { purpose: PURPOSE, server: crypto.signerId(secret), id: state.id, sessions: { ...state.sessions }, storedAt };
  return { claims, signature: crypto.sign(secret, claims as never) };
}

/**
 * Checks a receipt's form and signature, and that `server` (the key the client trusts for that
 * server) signed it. Any change to any field makes it fail.
 */
export function verifyReceipt(crypto: CoCrypto, receipt: unknown, server: SignerId): Result<ReceiptClaims, string> {
  if (receipt === null || typeof receipt !== "object") return err(`a receipt is an object { claims, signature }, got ${describeValue(receipt)}`);
  const { claims, signature } = receipt as { claims?: unknown; signature?: unknown };
  if (claims === null || typeof claims !== "object" || typeof signature !== "string") return err("a receipt needs claims and a signature");
  const { purpose, server: signer, id, sessions, storedAt } = claims as Record<string, unknown>;
  if (purpose !== PURPOSE) return err("not a durability receipt");
  if (signer !== server) return err(`signed by ${describeValue(signer)}, not by the expected server ${server}`);
  if (!isCoId(id)) return err(`the receipt's id ${describeValue(id)} is not a CoValue id`);
  if (!Number.isSafeInteger(storedAt)) return err("the receipt's storedAt is not a time");
  if (sessions === null || typeof sessions !== "object" || Array.isArray(sessions)) return err("the receipt's sessions are not an object");
  for (const count of Object.values(sessions)) if (!Number.isSafeInteger(count) || (count as number) < 0) return err("a session count is not a count");
  if (!crypto.verify(signature as Signature, claims as never, server)) return err("the signature does not match the receipt");
  return ok(claims as ReceiptClaims);
}

/** Whether a (verified) receipt covers everything of `known`: every session at least as far. */
export function receiptCovers(claims: ReceiptClaims, known: KnownState): boolean {
  if (claims.id !== known.id) return false;
  return Object.entries(known.sessions).every(([session, count]) => (claims.sessions[session as SessionId] ?? 0) >= count);
}
