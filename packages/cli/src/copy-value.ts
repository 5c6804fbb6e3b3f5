// Verifies one value's pieces and hands them to the target store (or, for a check, only
// verifies). Shared by import (values read from a dump) and migrate (values read from a store).
import { type AppendChunk, CoCrypto, type CoId, type CoValueHeader, type SessionId, type StorageAdapter, type StoredSessionPiece } from "@cosync/core";
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
 * `advance` is told each piece's transactions once stored (or verified, without a target), and how
 * many of them the target did not hold before: `added` is undefined when nothing was written (no
 * target, or the target's tombstone refused the piece).
 */
export async function copyValue(
  value: ValueToCopy,
  crypto: CoCrypto,
  signers: SignerDirectory,
  target: CopyTarget | undefined,
  advance: (transactions: number, added: number | undefined) => void,
): Promise<void> {
  const verifier = new ValueVerifier(value.id, value.header, crypto, signers);
  // What the target holds of each session before this copy: a piece adds only what lies beyond it.
  // Read while the first piece is verified, so a store's round trip does not hold up every value.
  const holding =
    target === undefined
      ? undefined
      : target.pipeline.settle(value.id).then(async () => {
          const known = await target.storage.knownState(value.id);
          return new Map(Object.entries(known?.sessions ?? {}) as [SessionId, number][]);
        });
  holding?.catch(() => {}); // awaited below; a verification failure first must not leave it unhandled
  let pieces = 0;
  for await (const sessions of value.pieces) {
    pieces++;
    const chunk = await verifier.verify(sessions);
    let transactions = 0;
    for (const piece of Object.values(sessions)) transactions += piece.transactions.length;
    if (target === undefined || holding === undefined) {
      advance(transactions, undefined);
      continue;
    }
    const added = addedBeyond(await holding, chunk);
    await target.pipeline.submit(chunk, (stored) => advance(transactions, stored ? added : undefined));
  }
  if (pieces === 0 && target !== undefined) await target.pipeline.submit(await verifier.verify({}));
  if (value.deleted && target !== undefined) {
    await target.pipeline.settle(value.id);
    await target.storage.markDeleted(value.id);
  }
}

/** How many of `chunk`'s transactions lie beyond what `held` counts per session; moves `held` past them. */
function addedBeyond(held: Map<SessionId, number>, chunk: AppendChunk): number {
  let added = 0;
  for (const [sessionId, piece] of Object.entries(chunk.sessions) as [SessionId, AppendChunk["sessions"][SessionId]][]) {
    const before = held.get(sessionId) ?? 0;
    const end = piece.after + piece.transactions.length;
    added += Math.max(0, end - Math.max(piece.after, before));
    held.set(sessionId, Math.max(before, end));
  }
  return added;
}
