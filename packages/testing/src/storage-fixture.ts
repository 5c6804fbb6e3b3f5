import type { CoId, CoValueHeader, KnownState, SessionId, Signature, StorageAdapter, StoredPiece } from "@cosync/core";
import { expect } from "vitest";

/** What a storage conformance run needs from an adapter package: a fresh store, a way to reopen it, and teardown. */
export type StorageSetup = () => Promise<{
  readonly storage: StorageAdapter;
  /** Opens the same location again (called after the current adapter was closed). */
  readonly reopen: () => Promise<StorageAdapter>;
  readonly cleanup: () => Promise<void>;
}>;

/** One test's storage: `storage` is the current adapter, replaced by `reopen()`; disposal closes it and cleans up. */
export interface StorageFixture extends AsyncDisposable {
  readonly storage: StorageAdapter;
  /** Closes the current adapter, then opens the same location again. */
  reopen(): Promise<StorageAdapter>;
}

/** Runs `setup` and wraps its result for `await using`. */
export async function openStorageFixture(setup: StorageSetup): Promise<StorageFixture> {
  const opened = await setup();
  let current = opened.storage;
  return {
    get storage() {
      return current;
    },
    async reopen() {
      await current.close();
      current = await opened.reopen();
      return current;
    },
    async [Symbol.asyncDispose]() {
      try {
        await current.close();
      } finally {
        await opened.cleanup();
      }
    },
  };
}

/** Every piece of `storage.load(id, since)`. */
export async function collectPieces(storage: StorageAdapter, id: CoId, since?: KnownState): Promise<StoredPiece[]> {
  const pieces: StoredPiece[] = [];
  for await (const piece of storage.load(id, since)) pieces.push(piece);
  return pieces;
}

/** A load joined back together: the header, each session's transactions from its first `after`, and its last signature. */
export interface JoinedLoad {
  readonly header: CoValueHeader | undefined;
  readonly sessions: Record<SessionId, { readonly after: number; readonly transactions: string[]; readonly lastSignature: Signature }>;
}

/**
 * Joins pieces per session, asserting what every load must satisfy: the header only on the
 * first piece, every piece of the CoValue asked for, and each session's pieces contiguous.
 */
export function joinPieces(id: CoId, pieces: readonly StoredPiece[]): JoinedLoad {
  const joined: JoinedLoad = { header: pieces[0]?.header, sessions: {} };
  pieces.forEach((piece, index) => {
    expect(piece.id).toBe(id);
    if (index > 0) expect(piece.header).toBeUndefined();
    for (const [sessionId, part] of Object.entries(piece.sessions) as [SessionId, StoredPiece["sessions"][SessionId]][]) {
      const previous = joined.sessions[sessionId];
      if (previous === undefined) {
        joined.sessions[sessionId] = { after: part.after, transactions: [...part.transactions], lastSignature: part.lastSignature };
        continue;
      }
      expect(part.after, `session ${sessionId} continues where it stopped`).toBe(previous.after + previous.transactions.length);
      joined.sessions[sessionId] = {
        after: previous.after,
        transactions: [...previous.transactions, ...part.transactions],
        lastSignature: part.lastSignature,
      };
    }
  });
  return joined;
}

/** Loads `id` and joins the pieces. */
export async function loadJoined(storage: StorageAdapter, id: CoId, since?: KnownState): Promise<JoinedLoad> {
  return joinPieces(id, await collectPieces(storage, id, since));
}

/** The bytes of `value` as a plain array, so Buffer and Uint8Array compare equal. */
export function bytesOf(value: Uint8Array | undefined): number[] | undefined {
  return value === undefined ? undefined : Array.from(value);
}
