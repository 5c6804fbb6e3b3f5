// Verifies one value's pieces and hands them to the target store (or, for a check, only
// verifies). Shared by import (values read from a dump) and migrate (values read from a store).
import { CoCrypto, type CoId, type CoValueHeader, type SessionId, type StorageAdapter, type StoredSessionPiece } from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";
import type { AppendPipeline } from "./append-pipeline.js";
import { type SignerDirectory, ValueVerifier } from "./value-verifier.js";

export interface ValueToCopy {
  readonly id: CoId;
  readonly header: CoValueHeader;
  readonly deleted: boolean;
  readonly pieces: AsyncIterable<Readonly<Record<SessionId, StoredSessionPiece>>> | Iterable<Readonly<Record<SessionId, StoredSessionPiece>>>;
}

/** Where verified values go; absent for a verify-only run. */
export interface CopyTarget {
  readonly storage: StorageAdapter;
  readonly pipeline: AppendPipeline;
}

export async function nodeCoCrypto(): Promise<CoCrypto> {
  return new CoCrypto(await loadNodeCryptoProvider());
}

/**
 * Verifies every piece of `value` (throws VerificationError naming what failed) and queues its
 * appends; a tombstoned value is tombstoned in the target once its delete sessions are stored.
 * `advance` is told each piece's transactions once stored (or verified, without a target).
 */
export async function copyValue(
  value: ValueToCopy,
  crypto: CoCrypto,
  signers: SignerDirectory,
  target: CopyTarget | undefined,
  advance: (transactions: number) => void,
): Promise<void> {
  const verifier = new ValueVerifier(value.id, value.header, crypto, signers);
  let pieces = 0;
  for await (const sessions of value.pieces) {
    pieces++;
    const chunk = await verifier.verify(sessions);
    let transactions = 0;
    for (const piece of Object.values(sessions)) transactions += piece.transactions.length;
    if (target === undefined) advance(transactions);
    else await target.pipeline.submit(chunk, () => advance(transactions));
  }
  if (pieces === 0 && target !== undefined) await target.pipeline.submit(await verifier.verify({}));
  if (value.deleted && target !== undefined) {
    await target.pipeline.settle(value.id);
    await target.storage.markDeleted(value.id);
  }
}
