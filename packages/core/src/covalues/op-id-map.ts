/**
 * A map keyed by a list op's place (session, transaction index, change index).
 *
 * CoList materialisation looks up one or two ops per inserted item. Keyed by one string per op
 * (session ids are ~100 characters), every lookup built and hashed a fresh string; here the
 * session is looked up once (and skipped when it repeats, as it does in a session's run of
 * transactions) and the two indexes address arrays.
 */
export class OpIdMap<V> {
  readonly #bySession = new Map<string, Array<Array<V | undefined> | undefined>>();
  #lastSession: string | undefined;
  #lastTransactions: Array<Array<V | undefined> | undefined> | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(session: string, txIndex: number, changeIdx: number): V | undefined {
    return this.#transactions(session, false)?.[txIndex]?.[changeIdx];
  }

  has(session: string, txIndex: number, changeIdx: number): boolean {
    return this.get(session, txIndex, changeIdx) !== undefined;
  }

  /** Sets `value` (never undefined) at the op's place. */
  set(session: string, txIndex: number, changeIdx: number, value: V): void {
    const transactions = this.#transactions(session, true) as Array<Array<V | undefined> | undefined>;
    let changes = transactions[txIndex];
    if (changes === undefined) {
      changes = [];
      transactions[txIndex] = changes;
    }
    if (changes[changeIdx] === undefined) this.#size++;
    changes[changeIdx] = value;
  }

  /** Removes and returns the value at the op's place. */
  take(session: string, txIndex: number, changeIdx: number): V | undefined {
    const changes = this.#transactions(session, false)?.[txIndex];
    const value = changes?.[changeIdx];
    if (value !== undefined) {
      (changes as Array<V | undefined>)[changeIdx] = undefined;
      this.#size--;
    }
    return value;
  }

  *values(): IterableIterator<V> {
    // for…in visits only the indexes present: an index can be huge (ops name any txIndex).
    for (const transactions of this.#bySession.values()) {
      for (const txIndex in transactions) {
        const changes = transactions[txIndex as unknown as number] as Array<V | undefined>;
        for (const changeIdx in changes) {
          const value = changes[changeIdx as unknown as number];
          if (value !== undefined) yield value;
        }
      }
    }
  }

  #transactions(session: string, create: boolean): Array<Array<V | undefined> | undefined> | undefined {
    if (session === this.#lastSession) return this.#lastTransactions;
    let transactions = this.#bySession.get(session);
    if (transactions === undefined) {
      if (!create) return undefined;
      transactions = [];
      this.#bySession.set(session, transactions);
    }
    this.#lastSession = session;
    this.#lastTransactions = transactions;
    return transactions;
  }
}
