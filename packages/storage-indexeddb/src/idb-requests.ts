/** Resolves with a request's result, rejects with its error. */
export function requestResult<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("IndexedDB request failed"));
  });
}

/**
 * Resolves when `tx` commits; rejects when it aborts or fails.
 *
 * Attach before the transaction can finish (right after creating it), or the event is missed.
 */
export function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });
}

/**
 * Runs `body` in one transaction over `stores` and resolves with its value once the transaction
 * has committed, so a resolved write is durable as far as the browser promises.
 *
 * `body` may await requests of `tx` (continuations run in the same task, which keeps the
 * transaction active) but nothing else. A throw aborts the transaction: nothing it wrote remains.
 */
export async function inIdbTransaction<T>(
  db: IDBDatabase,
  stores: readonly string[],
  mode: IDBTransactionMode,
  body: (tx: IDBTransaction) => Promise<T>,
): Promise<T> {
  const tx = db.transaction([...stores], mode);
  const done = transactionDone(tx);
  let value: T;
  try {
    value = await body(tx);
  } catch (error) {
    try {
      tx.abort();
    } catch {
      // Already finished or aborted by the failing request: the body's error is the one to report.
    }
    await done.catch(() => undefined);
    throw error;
  }
  await done;
  return value;
}
