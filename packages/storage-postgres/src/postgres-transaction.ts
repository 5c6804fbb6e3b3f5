import type { Pool, PoolClient } from "pg";

/** What a transaction body returns: its value, and whether to commit or roll back. */
export interface TransactionResult<T> {
  readonly value: T;
  readonly commit: boolean;
}

// deadlock_detected and serialization_failure: Postgres aborted the transaction and it is safe to
// run it again from the start (nothing of it was committed).
const retryableCodes = new Set(["40P01", "40001"]);
const MAX_ATTEMPTS = 5;

function isRetryable(error: unknown): boolean {
  return typeof error === "object" && error !== null && retryableCodes.has((error as { code?: string }).code ?? "");
}

/**
 * Runs `body` in one READ COMMITTED transaction on a pooled connection.
 *
 * Commits when the body asks to, rolls back otherwise or on a throw, and reruns the whole body if
 * Postgres aborted it with a deadlock or serialization failure (rare: two processes creating the
 * same new sessions in crossed order). A connection whose ROLLBACK failed is discarded, not
 * returned to the pool in an unknown state.
 */
export async function inTransaction<T>(pool: Pool, body: (client: PoolClient) => Promise<TransactionResult<T>>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await body(client);
      await client.query(result.commit ? "COMMIT" : "ROLLBACK");
      return result.value;
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch (rollbackError) {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      if (attempt < MAX_ATTEMPTS && isRetryable(error)) continue;
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
