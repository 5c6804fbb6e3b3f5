import type { CoCrypto } from "../crypto/co-crypto.js";
import type { JsonObject, JsonValue } from "../encoding/canonical-json.js";
import type { CoId } from "../ids/co-id.js";
import type { KeyId, KeySecret } from "../ids/crypto-strings.js";
import type { SessionId } from "../ids/session-id.js";
import type { PrivateTransaction, TrustingTransaction } from "./transaction.js";

/** cojson's hard cap on a transaction we create (received ones are not size-checked). */
export const MAX_TRANSACTION_BYTES = 1024 * 1024;

/** Thrown when a transaction we are asked to create is larger than `MAX_TRANSACTION_BYTES`. */
export class TransactionTooLargeError extends RangeError {
  override readonly name = "TransactionTooLargeError";
}

function checkSize(payload: string): void {
  if (payload.length > MAX_TRANSACTION_BYTES) {
    throw new TransactionTooLargeError(
      `transaction payload is ${payload.length} bytes; the limit is ${MAX_TRANSACTION_BYTES} (split the change)`,
    );
  }
}

/** A plain transaction. `changes` is JSON.stringify'd as cojson does (not canonicalised). */
export function makeTrustingTransaction(
  changes: readonly JsonValue[],
  madeAt: number,
  meta?: JsonObject,
): TrustingTransaction {
  const text = JSON.stringify(changes);
  checkSize(text);
  return meta === undefined
    ? { privacy: "trusting", madeAt, changes: text }
    : { privacy: "trusting", madeAt, changes: text, meta: JSON.stringify(meta) };
}

/** Where a transaction sits: its nonce is derived from this (cojson 0.20). */
export interface TransactionPlace {
  readonly coId: CoId;
  readonly sessionId: SessionId;
  readonly txIndex: number;
}

function nonceOf(place: TransactionPlace, crypto: CoCrypto): Uint8Array {
  return crypto.transactionNonce(place.coId, place.sessionId, place.txIndex);
}

/** An encrypted transaction; changes and meta share the key and nonce, as in cojson's format. */
export function makePrivateTransaction(
  changes: readonly JsonValue[],
  madeAt: number,
  key: { readonly id: KeyId; readonly secret: KeySecret },
  place: TransactionPlace,
  crypto: CoCrypto,
  meta?: JsonObject,
): PrivateTransaction {
  const nonce = nonceOf(place, crypto);
  const changesText = JSON.stringify(changes);
  const encryptedChanges = crypto.encryptText(changesText, key.secret, nonce);
  checkSize(encryptedChanges);
  const base = { privacy: "private" as const, madeAt, keyUsed: key.id, encryptedChanges };
  const tx = meta === undefined ? base : { ...base, meta: crypto.encryptText(JSON.stringify(meta), key.secret, nonce) };
  ownPlaintexts.set(tx, { keySecret: key.secret, changes: changesText });
  return tx;
}

/**
 * The plaintext of private transactions this process just made, until first read: the writer
 * reads its own writes back right away (views re-materialise), and decrypting what it has just
 * encrypted is wasted work. Keyed weakly by the transaction object; the key secret must match.
 */
const ownPlaintexts = new WeakMap<PrivateTransaction, { readonly keySecret: KeySecret; readonly changes: string }>();

function ownPlaintext(tx: PrivateTransaction, keySecret: KeySecret): string | undefined {
  const own = ownPlaintexts.get(tx);
  if (own === undefined) return undefined;
  ownPlaintexts.delete(tx);
  return own.keySecret === keySecret ? own.changes : undefined;
}

/** The changes of a private transaction, or undefined if they do not decrypt to a JSON array. */
export function decryptChanges(
  tx: PrivateTransaction,
  keySecret: KeySecret,
  place: TransactionPlace,
  crypto: CoCrypto,
): JsonValue[] | undefined {
  const text = ownPlaintext(tx, keySecret) ?? crypto.decryptText(tx.encryptedChanges, keySecret, nonceOf(place, crypto));
  if (text === undefined) return undefined;
  try {
    const changes = JSON.parse(text) as unknown;
    return Array.isArray(changes) ? (changes as JsonValue[]) : undefined;
  } catch {
    return undefined;
  }
}

/** The meta of a private transaction, decrypted with the same key and nonce as its changes. */
export function decryptMeta(
  tx: PrivateTransaction,
  keySecret: KeySecret,
  place: TransactionPlace,
  crypto: CoCrypto,
): JsonObject | undefined {
  if (tx.meta === undefined) return undefined;
  const text = crypto.decryptText(tx.meta, keySecret, nonceOf(place, crypto));
  try {
    const meta = text === undefined ? undefined : (JSON.parse(text) as unknown);
    return meta !== null && typeof meta === "object" && !Array.isArray(meta) ? (meta as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}
