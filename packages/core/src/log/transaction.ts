import type { JsonObject } from "../encoding/canonical-json.js";
import { hasLoneSurrogate } from "../encoding/utf8.js";
import type { Encrypted, KeyId } from "../ids/crypto-strings.js";
import { describeValue } from "../errors.js";
import type { CoId } from "../ids/co-id.js";
import { type Result, err, ok } from "../result.js";

/** A plain transaction: `changes` is the JSON text of the change array. */
export interface TrustingTransaction {
  readonly privacy: "trusting";
  readonly madeAt: number;
  readonly changes: string;
  readonly meta?: string;
}

/** An encrypted transaction: changes (and meta) XSalsa20-encrypted with the read key `keyUsed`. */
export interface PrivateTransaction {
  readonly privacy: "private";
  readonly madeAt: number;
  readonly keyUsed: KeyId;
  readonly encryptedChanges: Encrypted;
  readonly meta?: Encrypted;
}

export type Transaction = TrustingTransaction | PrivateTransaction;

/** The address of one transaction, used in nonces and key-reveal nonce material. */
export interface TransactionId {
  readonly sessionID: string;
  readonly txIndex: number;
}

/** Nonce material of a private transaction's ciphertext (cojson 0.20). */
export interface TransactionNonceMaterial extends JsonObject {
  readonly in: CoId;
  readonly tx: { readonly sessionID: string; readonly txIndex: number };
}

// u64 upper bound: cojson's Rust core reads madeAt with `as_u64`.
const U64_LIMIT = 2 ** 64;

function madeAtProblem(madeAt: unknown): string | undefined {
  if (typeof madeAt !== "number" || !Number.isInteger(madeAt) || madeAt < 0 || madeAt >= U64_LIMIT) {
    return `madeAt must be a non-negative integer, got ${describeValue(madeAt)}`;
  }
  return undefined;
}

function textProblem(field: string, value: unknown): string | undefined {
  if (typeof value !== "string") return `${field} must be a string, got ${describeValue(value)}`;
  // cojson's Rust core cannot hold lone surrogates and refuses the whole batch.
  if (hasLoneSurrogate(value)) return `${field} contains a lone UTF-16 surrogate`;
  return undefined;
}

function metaProblem(meta: unknown): string | undefined {
  return meta === undefined || meta === null ? undefined : textProblem("meta", meta);
}

/** Why an untrusted value is not a transaction cojson would accept, or undefined if it is one. */
export function transactionProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return `transaction must be an object, got ${describeValue(value)}`;
  }
  const tx = value as Record<string, unknown>;
  const problem = madeAtProblem(tx.madeAt) ?? metaProblem(tx.meta);
  if (problem !== undefined) return problem;
  if (tx.privacy === "trusting") return textProblem("changes", tx.changes);
  if (tx.privacy === "private") {
    return textProblem("encryptedChanges", tx.encryptedChanges) ?? textProblem("keyUsed", tx.keyUsed);
  }
  return `transaction privacy must be "trusting" or "private", got ${describeValue(tx.privacy)}`;
}

/** Checks an untrusted transaction; see `transactionProblem`. */
export function validateTransaction(value: unknown): Result<Transaction, string> {
  const problem = transactionProblem(value);
  return problem === undefined ? ok(value as Transaction) : err(problem);
}

/**
 * The canonical JSON of a transaction, exactly as cojson's Rust core re-serialises it before
 * hashing: fields in alphabetical order, unknown fields dropped, `meta: null` as absent. A fixed
 * template rather than a generic canonical stringify, because this runs for every transaction.
 */
export function serializeTransaction(tx: Transaction): string {
  const meta = tx.meta === undefined || tx.meta === null ? "" : `"meta":${JSON.stringify(tx.meta)},`;
  if (tx.privacy === "trusting") {
    return `{"changes":${JSON.stringify(tx.changes)},"madeAt":${tx.madeAt},${meta}"privacy":"trusting"}`;
  }
  return `{"encryptedChanges":${JSON.stringify(tx.encryptedChanges)},"keyUsed":${JSON.stringify(tx.keyUsed)},"madeAt":${tx.madeAt},${meta}"privacy":"private"}`;
}

/**
 * The transaction as its signature covers it: the fields `serializeTransaction` keeps, nothing
 * else (a peer may add fields the hash ignores; they must not be stored or relayed).
 */
export function signedFormOf(tx: Transaction): Transaction {
  const hasMeta = tx.meta !== undefined && tx.meta !== null;
  // Honest transactions carry exactly the signed fields: keep them as they are (no allocation).
  let fields = 0;
  for (const _ in tx) fields++;
  if (fields === (tx.privacy === "trusting" ? 3 : 4) + (hasMeta ? 1 : 0)) return tx;
  if (tx.privacy === "trusting") {
    const { madeAt, changes } = tx;
    return hasMeta ? { privacy: "trusting", madeAt, changes, meta: tx.meta as string } : { privacy: "trusting", madeAt, changes };
  }
  const { madeAt, keyUsed, encryptedChanges } = tx;
  return hasMeta
    ? { privacy: "private", madeAt, keyUsed, encryptedChanges, meta: tx.meta as Encrypted }
    : { privacy: "private", madeAt, keyUsed, encryptedChanges };
}

/** Size of a transaction's payload as cojson counts it for checkpoints and streaming. */
export function transactionPayloadSize(tx: Transaction): number {
  return tx.privacy === "trusting" ? tx.changes.length : tx.encryptedChanges.length;
}
