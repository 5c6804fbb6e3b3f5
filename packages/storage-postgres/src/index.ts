// The public surface of @cosync/storage-postgres.

export { openPostgresStorage, type PostgresStorageOptions } from "./open-postgres-storage.js";
export { POSTGRES_SCHEMA_VERSION } from "./postgres-migrations.js";
