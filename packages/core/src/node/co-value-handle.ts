import type { CoValueHeader } from "../covalues/header.js";
import type { JsonObject, JsonValue } from "../encoding/canonical-json.js";
import type { CoId } from "../ids/co-id.js";
import type { KeyId, KeySecret } from "../ids/crypto-strings.js";
import type { SessionId } from "../ids/session-id.js";
import { makePrivateTransaction, makeTrustingTransaction } from "../log/make-transaction.js";
import type { Transaction } from "../log/transaction.js";
import type { KnownState } from "../sync/known-state.js";
import type { WaitForSyncOptions } from "../sync/sync-manager.js";
import { branchSourceOf } from "./branch-transactions.js";
import type { CoValueEntry } from "./co-value-entry.js";
import type { LocalNode } from "./local-node.js";

/** A transaction of a CoValue with its place, as verified (not yet permission-checked or decrypted). */
export interface PlacedTransaction {
  readonly sessionId: SessionId;
  readonly txIndex: number;
  readonly tx: Transaction;
}

/**
 * An app's handle on one CoValue in a node: its header and known state, its raw transactions,
 * writing into our session, and change notification. Typed views (CoMap, CoList, …) build on it.
 */
export class CoValueHandle {
  readonly node: LocalNode;
  readonly #entry: CoValueEntry;

  constructor(node: LocalNode, entry: CoValueEntry) {
    this.node = node;
    this.#entry = entry;
  }

  get id(): CoId {
    return this.#entry.id;
  }

  get header(): CoValueHeader {
    return this.#log().header;
  }

  knownState(): KnownState {
    return this.#entry.knownState();
  }

  /** True while a streamed load is still arriving. */
  isStreaming(): boolean {
    return this.#entry.isStreaming();
  }

  /** Every verified transaction, session by session, in order within each session. */
  *transactions(): Iterable<PlacedTransaction> {
    for (const [sessionId, session] of this.#log().sessions) {
      for (let txIndex = 0; txIndex < session.transactions.length; txIndex++) {
        yield { sessionId, txIndex, tx: session.transactions[txIndex] as Transaction };
      }
    }
  }

  /** Writes a plain transaction into our session (made now, unless `madeAt` says when). */
  writeTrusting(changes: readonly JsonValue[], meta?: JsonObject, madeAt = this.node.clock.now()): void {
    const tx = makeTrustingTransaction(changes, madeAt, meta);
    this.node.appendOwnTransaction(this.#entry, tx);
  }

  /** Writes a transaction encrypted with `key` (the owner group's current read key). */
  writePrivate(
    changes: readonly JsonValue[],
    key: { readonly id: KeyId; readonly secret: KeySecret },
    meta?: JsonObject,
    madeAt = this.node.clock.now(),
  ): void {
    const sessionId = this.node.sessionFor(this.id);
    const txIndex = this.#log().sessions.get(sessionId)?.count ?? 0;
    const tx = makePrivateTransaction(changes, madeAt, key, { coId: this.id, sessionId, txIndex }, this.node.crypto, meta);
    this.node.appendOwnTransaction(this.#entry, tx);
  }

  /**
   * Calls `listener` after every local or remote change, once the state is consistent. A branch
   * also reads its source, so its listeners hear of the source's changes too.
   */
  subscribe(listener: () => void): () => void {
    const sourceId = branchSourceOf(this.header);
    const entries = sourceId === undefined ? [this.#entry] : [this.#entry, this.node.entry(sourceId)];
    for (const entry of entries) entry.listeners.add(listener);
    return () => {
      for (const entry of entries) entry.listeners.delete(listener);
    };
  }

  /**
   * Resolves when every connected server peer acknowledged what we hold of this value; rejects
   * with a SyncRefusedError if a server refused it (a quota, a ban, no permission), or with a
   * SyncTimeoutError after `timeoutMs` if given (without it, it waits until a server is back).
   */
  waitForSync(options?: WaitForSyncOptions): Promise<void> {
    return this.node.syncManager.waitForSync(this.id, options);
  }

  #log() {
    const log = this.#entry.log;
    if (log === undefined) throw new Error(`CoValue ${this.#entry.id} was unloaded; load it again`);
    this.#entry.lastAccessed = this.node.clock.now();
    return log;
  }
}
