import type { Priority } from "../covalues/header.js";

/** One FIFO lane: an array read from a moving head, compacted once the dead prefix dominates. */
class Lane<T> {
  #items: T[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  peek(): T | undefined {
    return this.#head === this.#items.length ? undefined : this.#items[this.#head];
  }

  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head] as T;
    // Drop the reference so a long-lived queue does not pin delivered messages.
    (this.#items as unknown[])[this.#head] = undefined;
    this.#head += 1;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  clear(): number {
    const dropped = this.size;
    this.#items = [];
    this.#head = 0;
    return dropped;
  }
}

/**
 * A three-level FIFO queue keyed by sync priority (cojson 0.20): everything queued at 0 leaves
 * before anything at 3, which leaves before anything at 6; within a priority, first in first out.
 * Both the in-memory and the WebSocket channels queue outgoing messages in one.
 */
export class PriorityQueue<T> {
  readonly #lanes: readonly [Lane<T>, Lane<T>, Lane<T>] = [new Lane(), new Lane(), new Lane()];

  /** How many items are queued, over all priorities. */
  /** Items waiting per priority (for metrics). */
  get sizes(): Readonly<Record<Priority, number>> {
    return { 0: this.#lanes[0].size, 3: this.#lanes[1].size, 6: this.#lanes[2].size };
  }

  get size(): number {
    return this.#lanes[0].size + this.#lanes[1].size + this.#lanes[2].size;
  }

  push(item: T, priority: Priority): void {
    this.#lane(priority).push(item);
  }

  /** The oldest item of the most urgent non-empty priority, or `undefined` when empty. */
  shift(): T | undefined {
    for (const lane of this.#lanes) {
      if (lane.size > 0) return lane.shift();
    }
    return undefined;
  }

  /** What `shift` would return next, without removing it. */
  peek(): T | undefined {
    for (const lane of this.#lanes) {
      if (lane.size > 0) return lane.peek();
    }
    return undefined;
  }

  /** Empties the queue; returns how many items were dropped. */
  clear(): number {
    return this.#lanes[0].clear() + this.#lanes[1].clear() + this.#lanes[2].clear();
  }

  #lane(priority: Priority): Lane<T> {
    switch (priority) {
      case 0:
        return this.#lanes[0];
      case 3:
        return this.#lanes[1];
      case 6:
        return this.#lanes[2];
      default:
        throw new TypeError(`priority: expected 0, 3 or 6, got ${String(priority)}`);
    }
  }
}
