import { base58Encode } from "../encoding/base58.js";
import type { CoCrypto } from "../crypto/co-crypto.js";
import type { HashChain } from "../crypto/crypto-provider.js";
import type { SignerId, SignerSecret } from "../ids/agent-id.js";
import type { Hash, Signature } from "../ids/crypto-strings.js";
import type { SessionId } from "../ids/session-id.js";
import { type Result, err, ok } from "../result.js";
import { CHECKPOINT_BYTES } from "../storage/storage-adapter.js";
import { serializeTransaction, signedFormOf, type Transaction, transactionPayloadSize } from "./transaction.js";

/** Why a received piece of a session was refused. Nothing of a refused piece is applied. */
export type RejectedPiece =
  | { readonly type: "Gap"; readonly sessionId: SessionId; readonly have: number; readonly after: number }
  | { readonly type: "InvalidSignature"; readonly sessionId: SessionId; readonly after: number }
  /** The piece repeats indices we hold with different transactions: a fork (e.g. a signed piece copied from another value). */
  | { readonly type: "Conflict"; readonly sessionId: SessionId; readonly at: number };

/** A received piece of one session: what follows the receiver's first `after` transactions. */
export interface SessionPiece {
  readonly after: number;
  readonly newTransactions: readonly Transaction[];
  readonly lastSignature: Signature;
}

/** What a successful `addVerified` applied. */
export interface AppliedPiece {
  /** Index of the first transaction that was new to us. */
  readonly from: number;
  readonly transactions: readonly Transaction[];
  /** Canonical JSON of each new transaction (what storage keeps). */
  readonly serialized: readonly string[];
}

/** A received piece whose signature checked out, ready to `commit` (nothing of it is applied yet). */
export interface VerifiedPiece extends AppliedPiece {
  readonly signature: Signature;
  /** The chain after the new transactions; undefined when the piece held nothing new. */
  readonly chain: HashChain | undefined;
}

function hashOf(digest: Uint8Array): Hash {
  return `hash_z${base58Encode(digest)}`;
}

/**
 * The verified log of one (CoValue, session): transactions in order, the never-reset BLAKE3
 * chain over their canonical JSON, the last signature, and the signature checkpoints at which
 * the log can be cut into pieces (cojson 0.20).
 */
export class SessionLog {
  readonly sessionId: SessionId;
  /** Canonical JSON of each transaction: what is hashed, stored and relayed. */
  readonly serialized: string[] = [];
  readonly #transactions: Transaction[] = [];
  /** Index of the last transaction a checkpoint signature covers → that signature. */
  readonly checkpoints = new Map<number, Signature>();
  lastSignature: Signature | undefined;
  #chain: HashChain;
  /** cojson's measure since the last checkpoint: the length of `changes`/`encryptedChanges`. */
  #payloadSinceCheckpoint = 0;
  /** Everything of the transactions' text since the last checkpoint (meta, keys, …). */
  #textSinceCheckpoint = 0;
  #signedCount = 0;

  constructor(sessionId: SessionId, chain: HashChain) {
    this.sessionId = sessionId;
    this.#chain = chain;
  }

  get count(): number {
    return this.serialized.length;
  }

  /** The transactions in order, parsed (`serialized` holds their canonical text). */
  get transactions(): readonly Transaction[] {
    return this.#transactions;
  }

  /** The chain state after the last transaction (for storage, so it never re-hashes). */
  saveChainState(): Uint8Array {
    return this.#chain.saveState();
  }

  /**
   * Verifies a received piece against this log and applies it, or refuses it whole.
   * Transactions we already hold are skipped (the sender's `after` may lag behind ours);
   * the new ones are hashed onto a copy of the chain and one signature is checked.
   */
  addVerified(piece: SessionPiece, signer: SignerId, crypto: CoCrypto): Result<AppliedPiece, RejectedPiece> {
    const verified = this.verify(piece, signer, crypto);
    return verified.ok ? ok(this.commit(verified.value)) : verified;
  }

  /**
   * Checks a received piece without applying it: what is new is hashed onto a copy of the chain
   * and its signature checked. Nothing changes until `commit`, so a caller can still refuse a
   * verified piece (a quota, a deletion rule) and leave the log as it was.
   */
  verify(piece: SessionPiece, signer: SignerId, crypto: CoCrypto): Result<VerifiedPiece, RejectedPiece> {
    const have = this.count;
    if (piece.after > have) return err({ type: "Gap", sessionId: this.sessionId, have, after: piece.after });
    const skip = have - piece.after;
    // What it repeats must be what we hold: a signature covers a session's chain, not the value,
    // so a validly signed piece can be copied into another value's same-named session; taking
    // the overlap on trust would acknowledge the writer's own, different, transactions unstored.
    const overlap = Math.min(skip, piece.newTransactions.length);
    for (let index = 0; index < overlap; index++) {
      if (serializeTransaction(piece.newTransactions[index] as Transaction) !== this.serialized[piece.after + index]) {
        return err({ type: "Conflict", sessionId: this.sessionId, at: piece.after + index });
      }
    }
    const received = piece.newTransactions.slice(skip);
    if (received.length === 0) return ok({ from: have, transactions: [], serialized: [], signature: piece.lastSignature, chain: undefined });
    const chain = this.#chain.clone();
    const serialized = received.map(serializeTransaction);
    for (const text of serialized) chain.updateText(text);
    const hash = hashOf(chain.digest());
    if (!crypto.verify(piece.lastSignature, hash, signer)) {
      return err({ type: "InvalidSignature", sessionId: this.sessionId, after: piece.after });
    }
    // Only what the signature covers is kept and relayed: fields the canonical form drops
    // (anything but privacy, madeAt, changes/encryptedChanges, keyUsed, meta) are dropped here too.
    return ok({ from: have, transactions: received.map(signedFormOf), serialized, signature: piece.lastSignature, chain });
  }

  /** Applies a piece `verify` accepted; the log must not have changed in between. */
  commit(verified: VerifiedPiece): AppliedPiece {
    if (verified.from !== this.count) throw new Error(`${this.sessionId}: verified at ${verified.from} but the log now holds ${this.count}`);
    if (verified.chain === undefined) return { from: verified.from, transactions: [], serialized: [] };
    this.#chain = verified.chain;
    this.#append(verified.transactions, verified.serialized, verified.signature);
    return { from: verified.from, transactions: verified.transactions, serialized: verified.serialized };
  }

  /**
   * Applies transactions that were verified before (loaded from our own storage); never checks
   * signatures. `hash: false` skips hashing when a saved chain state will be restored after.
   * The stored signature is kept as a checkpoint, since storage cut its pieces there.
   */
  addTrusted(
    transactions: readonly Transaction[],
    serialized: readonly string[],
    lastSignature: Signature,
    options: { readonly hash: boolean },
  ): void {
    if (options.hash) for (const text of serialized) this.#chain.updateText(text);
    this.#append(transactions, serialized, lastSignature);
    if (this.count > 0) this.checkpoints.set(this.count - 1, lastSignature);
  }

  /** Replaces the chain with a saved state that already covers every transaction held. */
  restoreChain(chain: HashChain): void {
    this.#chain = chain;
  }

  /** Appends a transaction we author: hashes it, signs the new chain head, records it. */
  appendOwn(tx: Transaction, signer: SignerSecret, crypto: CoCrypto): { readonly signature: Signature; readonly serialized: string } {
    const serialized = this.appendOwnUnsigned(tx, signer, crypto);
    return { signature: this.signPending(signer, crypto) as Signature, serialized };
  }

  /**
   * Appends a transaction we author without signing yet: signatures only travel at the end of a
   * piece, so a burst of local writes is signed once (`signPending`), except that a checkpoint is
   * signed as soon as a piece would exceed `CHECKPOINT_BYTES`, so pieces stay cuttable.
   */
  appendOwnUnsigned(tx: Transaction, signer: SignerSecret, crypto: CoCrypto): string {
    const serialized = serializeTransaction(tx);
    this.#chain.updateText(serialized);
    this.#transactions.push(tx);
    this.serialized.push(serialized);
    this.#countTowardsCheckpoint(tx, serialized);
    if (this.#pastCheckpoint()) {
      const signature = this.signPending(signer, crypto) as Signature;
      this.checkpoints.set(this.count - 1, signature);
    }
    return serialized;
  }

  /** How many transactions a held signature covers (the rest await `signPending`). */
  get signedCount(): number {
    return this.#signedCount;
  }

  /** Signs the chain head if unsigned transactions were appended; returns the last signature. */
  signPending(signer: SignerSecret, crypto: CoCrypto): Signature | undefined {
    if (this.#signedCount < this.count) {
      this.lastSignature = crypto.sign(signer, hashOf(this.#chain.digest()));
      this.#signedCount = this.count;
    }
    return this.lastSignature;
  }

  #append(transactions: readonly Transaction[], serialized: readonly string[], signature: Signature): void {
    for (let index = 0; index < transactions.length; index++) {
      this.#transactions.push(transactions[index] as Transaction);
      this.serialized.push(serialized[index] as string);
      this.#countTowardsCheckpoint(transactions[index] as Transaction, serialized[index] as string);
    }
    this.lastSignature = signature;
    this.#signedCount = this.count;
    // A checkpoint may only fall where a signature is held: the end of this batch.
    if (this.#pastCheckpoint()) this.checkpoints.set(this.count - 1, signature);
  }

  /**
   * Counts a new transaction towards the next checkpoint. cojson's rule, so pieces of ordinary
   * data are cut where cojson cuts them: more than `CHECKPOINT_BYTES` of changes. Ours too: more
   * than twice that of text in all, so transactions that are mostly `meta` (which cojson does not
   * count) can't grow a piece without bound.
   */
  #countTowardsCheckpoint(tx: Transaction, serialized: string): void {
    this.#payloadSinceCheckpoint += transactionPayloadSize(tx);
    this.#textSinceCheckpoint += serialized.length;
  }

  /** True, and the counts restart, if what was counted since the last checkpoint calls for one. */
  #pastCheckpoint(): boolean {
    if (this.#payloadSinceCheckpoint <= CHECKPOINT_BYTES && this.#textSinceCheckpoint <= 2 * CHECKPOINT_BYTES) return false;
    this.#payloadSinceCheckpoint = 0;
    this.#textSinceCheckpoint = 0;
    return true;
  }

  /** The signature covering transactions up to index `lastIndex`, if one is held. */
  signatureAt(lastIndex: number): Signature | undefined {
    if (lastIndex === this.#signedCount - 1) return this.lastSignature;
    return this.checkpoints.get(lastIndex);
  }

  /** Characters of the canonical JSON of transactions `from` (inclusive) to `to` (exclusive). */
  textSize(from: number, to: number): number {
    let size = 0;
    for (let index = from; index < to; index++) size += (this.serialized[index] as string).length;
    return size;
  }

  /** Ends (exclusive counts) of the signed ranges after `from`, in order, the last being `signedCount`. */
  pieceEndsAfter(from: number): number[] {
    const signed = this.#signedCount;
    const ends = [...this.checkpoints.keys()].map((index) => index + 1).filter((end) => end > from && end <= signed);
    ends.sort((a, b) => a - b);
    if (ends[ends.length - 1] !== signed && signed > from) ends.push(signed);
    return ends;
  }
}
