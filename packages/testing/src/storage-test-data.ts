import {
  type AppendSessionPiece,
  base58Encode,
  base64urlEncode,
  type CoId,
  type CoValueHeader,
  type SessionId,
  type Signature,
  serializeTransaction,
} from "@cosync/core";

// Real-format ids and deterministic session logs for storage tests. Storage never verifies, so
// signatures and hash states are seeded pseudo-random bytes; what matters is that every piece of
// a log carries the same signature for the same end index, as real Ed25519 over a chain would.
// No node:* imports: the IndexedDB adapter runs these suites in a browser.

/** `length` random bytes from the platform's CSPRNG (WebCrypto, present in Node ≥ 20 and browsers). */
export function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  globalThis.crypto.getRandomValues(bytes);
  return bytes;
}

/** A fresh CoValue id: `co_z` + base58 of 19 random bytes. */
export function randomCoId(): CoId {
  return `co_z${base58Encode(randomBytes(19))}`;
}

/** A fresh ordinary session id of an account: `<co id>_session_z<base58 of 8 bytes>`. */
export function randomSessionId(owner: CoId = randomCoId()): SessionId {
  return `${owner}_session_z${base58Encode(randomBytes(8))}`;
}

/** A fresh delete session id: `<co id>_session_d<base58 of 7 bytes>$`. */
export function randomDeleteSessionId(owner: CoId = randomCoId()): SessionId {
  return `${owner}_session_d${base58Encode(randomBytes(7))}$`;
}

/** A valid-looking header of a CoMap owned by a group. */
export function testHeader(group: CoId = randomCoId()): CoValueHeader {
  return {
    type: "comap",
    ruleset: { type: "ownedByGroup", group },
    meta: null,
    createdAt: "2026-11-25T12:00:00.000Z",
    uniqueness: `z${base58Encode(randomBytes(12))}`,
  };
}

/** `length` deterministic bytes for `seed` (FNV-1a seeding an xorshift32 stream). */
export function seededBytes(seed: string, length: number): Uint8Array {
  let state = 0x811c9dc5;
  for (let index = 0; index < seed.length; index++) state = Math.imul(state ^ seed.charCodeAt(index), 0x01000193);
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

/** A session's deterministic log: transaction texts, and the signature and hash state after each count. */
export interface TestSessionLog {
  readonly sessionId: SessionId;
  /** The canonical JSON of transaction `index`. */
  tx(index: number): string;
  /** Transactions `from` (inclusive) to `to` (exclusive). */
  txs(from: number, to: number): string[];
  /** The signature over the chain after `count` transactions. */
  signatureAt(count: number): Signature;
  /** The saved hash-chain state after `count` transactions. */
  hashStateAt(count: number): Uint8Array;
  /** An append piece of transactions `from`..`to`, with the hash state unless `hashState` is false. */
  piece(from: number, to: number, options?: { readonly hashState?: boolean }): AppendSessionPiece;
}

/** Options of `createTestSessionLog`. */
export interface TestSessionLogOptions {
  /** Rough size of each transaction's text: "small" 120–230 chars (a CoMap edit), "large" ~1 KiB (a binary chunk). */
  readonly size?: "small" | "large";
}

function makeTx(sessionId: SessionId, index: number, large: boolean): string {
  const madeAt = 1_764_072_000_000 + index;
  if (large) {
    const chunk = base64urlEncode(seededBytes(`${sessionId}/tx/${index}`, 750));
    return serializeTransaction({ privacy: "trusting", madeAt, changes: `[{"op":"app","value":"binary_U${chunk}"}]` });
  }
  const value = base58Encode(seededBytes(`${sessionId}/tx/${index}`, 20 + (index % 7) * 12));
  return serializeTransaction({ privacy: "trusting", madeAt, changes: JSON.stringify([{ op: "set", key: `k${index % 13}`, value }]) });
}

/** Creates the deterministic log of `sessionId`; the same id always gives the same log. */
export function createTestSessionLog(sessionId: SessionId, options: TestSessionLogOptions = {}): TestSessionLog {
  const large = options.size === "large";
  const cache = new Map<number, string>();
  const tx = (index: number): string => {
    let text = cache.get(index);
    if (text === undefined) {
      text = makeTx(sessionId, index, large);
      cache.set(index, text);
    }
    return text;
  };
  const log: TestSessionLog = {
    sessionId,
    tx,
    txs: (from, to) => Array.from({ length: Math.max(0, to - from) }, (_, offset) => tx(from + offset)),
    signatureAt: (count) => `signature_z${base58Encode(seededBytes(`${sessionId}/sig/${count}`, 64))}`,
    hashStateAt: (count) => seededBytes(`${sessionId}/hash/${count}`, 48),
    piece: (from, to, pieceOptions = {}) => {
      const base = { after: from, transactions: log.txs(from, to), lastSignature: log.signatureAt(to) };
      return pieceOptions.hashState === false ? base : { ...base, hashState: log.hashStateAt(to) };
    },
  };
  return log;
}
