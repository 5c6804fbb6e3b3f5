// The public surface of @cosync/storage-indexeddb.

export { INDEXEDDB_SCHEMA_VERSION } from "./idb-schema.js";
export { type IndexedDbStorageOptions, openIndexedDbStorage } from "./open-indexeddb-storage.js";
