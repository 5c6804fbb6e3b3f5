/** A value SQLite can bind or return: BLOBs come back as Uint8Array (a Buffer under better-sqlite3). */
export type SqlValue = string | number | bigint | Uint8Array | null;

/**
 * The five things storage-sqlite needs from a SQLite binding (STYLE §5.2). All SQL lives in the
 * adapter; a driver only executes it, so moving to `node:sqlite` on Node 22 means one new driver.
 *
 * Contract: statements are synchronous; `transaction` runs `body` inside BEGIN IMMEDIATE … COMMIT,
 * rolls back and rethrows if `body` (or the commit) throws, and does not nest.
 */
export interface SqliteDriver {
  /** Executes one statement; `changes` counts the rows it wrote. */
  run(sql: string, params?: readonly SqlValue[]): { readonly changes: number };
  /** The first row of one statement, or undefined. */
  get<Row>(sql: string, params?: readonly SqlValue[]): Row | undefined;
  /** Every row of one statement. */
  all<Row>(sql: string, params?: readonly SqlValue[]): Row[];
  /** Runs `body` atomically (see the interface's contract). */
  transaction<T>(body: () => T): T;
  /** Closes the connection; every later call throws. */
  close(): void;
}
