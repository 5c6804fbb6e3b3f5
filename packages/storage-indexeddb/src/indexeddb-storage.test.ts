import { type CoId, type CoValueHeader, type SessionId, type Signature, StorageError } from "@cosync/core";
import { runStorageConformance } from "@cosync/testing";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { expect, test } from "vitest";
import { INDEXEDDB_SCHEMA_VERSION } from "./idb-schema.js";
import { openIndexedDbStorage } from "./open-indexeddb-storage.js";

// fake-indexeddb in Node; the same suite runs in Chromium from the browser project. A fresh
// factory per test is a fresh "origin"; reopening uses the same factory and name.
runStorageConformance("indexeddb (fake-indexeddb)", async () => {
  const indexedDB = new IDBFactory();
  const open = () => openIndexedDbStorage({ name: "cosync", indexedDB, IDBKeyRange });
  return { storage: await open(), reopen: open, cleanup: async () => undefined };
});

const id = "co_zIdbTestValue" as CoId;
const header: CoValueHeader = { type: "costream", ruleset: { type: "unsafeAllowAll" }, meta: null, uniqueness: "zIdb" };
const session = "co_zAlice_session_zAlice1" as SessionId;
const piece = (after: number, count: number) => ({
  after,
  transactions: Array.from({ length: count }, (_, i) => JSON.stringify({ privacy: "trusting", madeAt: after + i, changes: "[]" })),
  lastSignature: `signature_z${after + count}` as Signature,
});

function openRaw(indexedDB: IDBFactory, name: string): Promise<IDBDatabase> {
  return new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

test("indexeddb: stores created at version 1 hold the documented keys", async () => {
  const indexedDB = new IDBFactory();
  const storage = await openIndexedDbStorage({ name: "layout", indexedDB, IDBKeyRange });
  await storage.append({ id, header, sessions: { [session]: piece(0, 2) } });
  await storage.markUnsynced([{ id, peerId: "server" }]);
  await storage.close();

  const db = await openRaw(indexedDB, "layout");
  try {
    expect(db.version).toBe(INDEXEDDB_SCHEMA_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual(["checkpoints", "covalues", "deleted", "sessions", "transactions", "unsynced"]);
    const tx = db.transaction(["transactions", "sessions"], "readonly");
    const keys = await new Promise<IDBValidKey[]>((resolve) => {
      const request = tx.objectStore("transactions").getAllKeys();
      request.onsuccess = () => resolve(request.result);
    });
    expect(keys).toEqual([[1, 0], [1, 1]]);
  } finally {
    db.close();
  }
});

test("indexeddb: a newer connection's upgrade closes this one, whose calls then reject", async () => {
  const indexedDB = new IDBFactory();
  const storage = await openIndexedDbStorage({ name: "upgrade", indexedDB, IDBKeyRange });
  await new Promise<void>((resolve, reject) => {
    const request = indexedDB.open("upgrade", INDEXEDDB_SCHEMA_VERSION + 1);
    request.onsuccess = () => {
      request.result.close();
      resolve();
    };
    request.onerror = () => reject(request.error);
  });
  await expect(storage.knownState(id)).rejects.toBeInstanceOf(StorageError);
});

test("indexeddb: without an IndexedDB factory, opening fails with a StorageError", async () => {
  const original = globalThis.indexedDB;
  try {
    (globalThis as { indexedDB?: IDBFactory }).indexedDB = undefined;
    await expect(openIndexedDbStorage({ name: "none" })).rejects.toBeInstanceOf(StorageError);
  } finally {
    (globalThis as { indexedDB?: IDBFactory }).indexedDB = original;
  }
});

test("indexeddb: a write failing mid-append aborts the whole IDB transaction", async () => {
  const indexedDB = new IDBFactory();
  const open = () => openIndexedDbStorage({ name: "abort", indexedDB, IDBKeyRange });
  const storage = await open();
  await storage.append({ id, header, sessions: { [session]: piece(0, 2) } });
  await storage.close();
  // Plant a row where the next append will write (session key 1, index 3): its add() must fail.
  const db = await openRaw(indexedDB, "abort");
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction("transactions", "readwrite");
    tx.objectStore("transactions").add("planted", [1, 3]);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  db.close();

  const reopened = await open();
  const other = "co_zBob_session_zBob1" as SessionId;
  const chunk = { id, sessions: { [other]: piece(0, 3), [session]: piece(2, 3) } };
  await expect(reopened.append(chunk)).rejects.toBeInstanceOf(StorageError);
  expect(await reopened.knownState(id)).toEqual({ id, header: true, sessions: { [session]: 2 } });
  expect((await reopened.summary(id))?.sessions[session]?.lastSignature).toBe("signature_z2");
  await reopened.close();
});
