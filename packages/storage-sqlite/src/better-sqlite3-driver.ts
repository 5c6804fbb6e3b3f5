import Database from "better-sqlite3";
import type { SqliteDriver, SqlValue } from "./sqlite-driver.js";

/**
 * Opens a SqliteDriver on better-sqlite3. Prepared statements are cached by their SQL text: the
 * adapter uses a fixed set of statements, and preparing costs more than running a small insert.
 */
export function openBetterSqlite3Driver(file: string): SqliteDriver {
  const db = new Database(file);
  const statements = new Map<string, Database.Statement<SqlValue[]>>();
  const prepare = (sql: string): Database.Statement<SqlValue[]> => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare<SqlValue[]>(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const begin = prepare("BEGIN IMMEDIATE");
  const commit = prepare("COMMIT");
  const rollback = prepare("ROLLBACK");

  return {
    run: (sql, params = []) => ({ changes: prepare(sql).run(...params).changes }),
    get: <Row>(sql: string, params: readonly SqlValue[] = []) => prepare(sql).get(...params) as Row | undefined,
    all: <Row>(sql: string, params: readonly SqlValue[] = []) => prepare(sql).all(...params) as Row[],
    transaction<T>(body: () => T): T {
      if (db.inTransaction) throw new Error("SqliteDriver.transaction does not nest");
      begin.run();
      try {
        const result = body();
        commit.run();
        return result;
      } catch (error) {
        // A failed COMMIT can leave the transaction open (e.g. SQLITE_BUSY); a failed body always does.
        if (db.inTransaction) rollback.run();
        throw error;
      }
    },
    close: () => {
      statements.clear();
      db.close();
    },
  };
}
