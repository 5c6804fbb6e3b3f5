import { runStorageConformance } from "@cosync/testing";
import { openIndexedDbStorage } from "./open-indexeddb-storage.js";

// The conformance suite against Chromium's own IndexedDB (vitest's "browser" project, STYLE §5.9);
// indexeddb-storage.test.ts runs it under fake-indexeddb in Node. Each setup gets a database of
// its own; reopening opens the same name; cleanup deletes it once the fixture has closed it.
runStorageConformance("indexeddb (Chromium)", async () => {
  const name = `cosync-conformance-${crypto.randomUUID()}`;
  const open = () => openIndexedDbStorage({ name });
  return { storage: await open(), reopen: open, cleanup: () => deleteDatabase(name) };
});

function deleteDatabase(name: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
}
