// The public surface of @cosync/storage-sqlite. Named re-exports only.

export { openSqliteStorage, type SqliteStorageOptions } from "./open-sqlite-storage.js";
export type { SqliteDriver, SqlValue } from "./sqlite-driver.js";
