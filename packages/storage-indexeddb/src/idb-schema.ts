import type { CoId, CoValueHeader, SessionId, Signature, UnsyncedEntry } from "@cosync/core";

/** The IndexedDB schema version this adapter writes; `upgradeSchema` brings older databases to it. */
export const INDEXEDDB_SCHEMA_VERSION = 1;

/** Object store names, in one place so every transaction names the same stores. */
export const Stores = {
  coValues: "covalues",
  sessions: "sessions",
  transactions: "transactions",
  checkpoints: "checkpoints",
  unsynced: "unsynced",
  deleted: "deleted",
} as const;

/** Index of `sessions` by [coValue, sessionId]: unique, and a range over [id] lists a CoValue's sessions. */
export const SESSIONS_BY_COVALUE = "byCoValue";

/** A `covalues` record (keyPath "id"). */
export interface CoValueRecord {
  readonly id: CoId;
  readonly header: CoValueHeader;
}

/** A `sessions` record (auto-increment keyPath "key"): the session's summary row. */
export interface SessionRecord {
  readonly key: number;
  readonly coValue: CoId;
  readonly sessionId: SessionId;
  readonly count: number;
  readonly lastSignature: Signature;
  /** Transaction text stored since the last checkpoint, as core's `transactionTextSize` counts it. */
  readonly sizeSinceCheckpoint: number;
  readonly hashState?: Uint8Array;
}

/** An `unsynced` record, keyed [id, peerId]. */
export type UnsyncedRecord = UnsyncedEntry;

/**
 * An open database and the IDBKeyRange class of the same implementation (in a browser both are
 * globals; in Node tests both come from fake-indexeddb, whose ranges only its own stores accept).
 */
export interface IdbContext {
  readonly db: IDBDatabase;
  readonly keyRange: typeof IDBKeyRange;
}

/** The key range over the `byCoValue` index that holds every session of `id`. */
export function sessionsOf(ctx: IdbContext, id: CoId): IDBKeyRange {
  // [id] sorts before [id, anything] and arrays sort after strings, so [id, []] is above them all.
  return ctx.keyRange.bound([id], [id, []]);
}

/** The key range over `transactions` / `checkpoints` of one session from `from` to `to` (inclusive). */
export function rowsOf(ctx: IdbContext, sessionKey: number, from = 0, to = Number.POSITIVE_INFINITY): IDBKeyRange {
  return ctx.keyRange.bound([sessionKey, from], [sessionKey, to]);
}

/**
 * Creates or upgrades the object stores, step by step from `oldVersion` (runs inside the
 * versionchange transaction of `indexedDB.open`).
 *
 * History:
 * 1. covalues (keyPath id), sessions (auto-increment key; unique index byCoValue on
 *    [coValue, sessionId]), transactions (key [sessionKey, idx] → text), checkpoints (key
 *    [sessionKey, idx] → { idx, signature }), unsynced (key [id, peerId]), deleted (key id).
 */
export function upgradeSchema(db: IDBDatabase, oldVersion: number): void {
  if (oldVersion < 1) {
    db.createObjectStore(Stores.coValues, { keyPath: "id" });
    const sessions = db.createObjectStore(Stores.sessions, { keyPath: "key", autoIncrement: true });
    sessions.createIndex(SESSIONS_BY_COVALUE, ["coValue", "sessionId"], { unique: true });
    db.createObjectStore(Stores.transactions);
    db.createObjectStore(Stores.checkpoints);
    db.createObjectStore(Stores.unsynced);
    db.createObjectStore(Stores.deleted);
  }
}
