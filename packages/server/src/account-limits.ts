import type { Clock } from "@cosync/core";
import { type RateLimit, TokenBucket } from "./token-bucket.js";

/** Message and byte rates, each optional (absent = unlimited). */
export interface RateLimits {
  readonly messages?: RateLimit;
  readonly bytes?: RateLimit;
}

/** Which budget refused a cost. */
export type RateVerdict = "ok" | "messages" | "bytes";

/** A pair of token buckets (messages, bytes) for one connection or one owner. */
export class RateBudget {
  readonly limits: RateLimits;
  readonly #messages: TokenBucket | undefined;
  readonly #bytes: TokenBucket | undefined;

  constructor(limits: RateLimits, clock: Pick<Clock, "now">) {
    this.limits = limits;
    this.#messages = limits.messages === undefined ? undefined : new TokenBucket(limits.messages, clock);
    this.#bytes = limits.bytes === undefined ? undefined : new TokenBucket(limits.bytes, clock);
  }

  /** Spends `messages` and `bytes` only if both budgets allow it. */
  take(messages: number, bytes: number): RateVerdict {
    if (this.#messages !== undefined && !this.#messages.allows(messages)) return "messages";
    if (this.#bytes !== undefined && !this.#bytes.allows(bytes)) return "bytes";
    this.#messages?.charge(messages);
    this.#bytes?.charge(bytes);
    return "ok";
  }

  refund(messages: number, bytes: number): void {
    this.#messages?.refund(messages);
    this.#bytes?.refund(bytes);
  }

  get isFull(): boolean {
    return (this.#messages?.isFull ?? true) && (this.#bytes?.isFull ?? true);
  }
}

/** True if a RateLimits value limits anything. */
export function limitsAnything(limits: RateLimits | undefined): limits is RateLimits {
  return limits !== undefined && (limits.messages !== undefined || limits.bytes !== undefined);
}

const SWEEP_INTERVAL_MS = 10_000;

/**
 * Per-account rate budgets shared by every connection authenticated as that account. Budgets are
 * created on first use and forgotten once full again, so idle accounts cost no memory.
 */
export class AccountRateLimiter {
  readonly #limits: RateLimits;
  readonly #clock: Pick<Clock, "now">;
  readonly #budgets = new Map<string, RateBudget>();
  #lastSweep: number;

  constructor(limits: RateLimits, clock: Pick<Clock, "now">) {
    this.#limits = limits;
    this.#clock = clock;
    this.#lastSweep = clock.now();
  }

  take(owner: string, messages: number, bytes: number): RateVerdict {
    this.#maybeSweep();
    let budget = this.#budgets.get(owner);
    if (budget === undefined) {
      budget = new RateBudget(this.#limits, this.#clock);
      this.#budgets.set(owner, budget);
    }
    return budget.take(messages, bytes);
  }

  refund(owner: string, messages: number, bytes: number): void {
    this.#budgets.get(owner)?.refund(messages, bytes);
  }

  /** How many owners currently have a budget in memory. */
  get size(): number {
    return this.#budgets.size;
  }

  #maybeSweep(): void {
    const now = this.#clock.now();
    if (now - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    for (const [owner, budget] of this.#budgets) if (budget.isFull) this.#budgets.delete(owner);
  }
}

/** Where a ledger keeps usage across restarts: the storage's counters (StorageAdapter.addToCounters). */
export interface UsageStore {
  addToCounters(deltas: ReadonlyMap<string, number>): Promise<void>;
  readCounters(prefix: string): Promise<Map<string, number>>;
}

const USAGE_PREFIX = "stored-bytes:";
const FLUSH_DELAY_MS = 200;

/**
 * Bytes stored per authenticated account, against a quota. Charged once content is verified and
 * admitted, refunded if storage then fails to commit it, so concurrent writes cannot overshoot.
 *
 * Usage is kept in the storage's counters (when it has them), written in batches 200 ms apart and
 * on close, and read back at start, so a restart does not reset anyone's quota. A crash can lose
 * the last 200 ms of charges (in the account's favour, never against it).
 */
export class QuotaLedger {
  readonly quotaBytes: number;
  readonly #usage: Map<string, number>;
  readonly #store: UsageStore | undefined;
  readonly #onError: (error: unknown) => void;
  #pending = new Map<string, number>();
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(quotaBytes: number, options: { usage?: Map<string, number>; store?: UsageStore; onError?: (error: unknown) => void } = {}) {
    this.quotaBytes = quotaBytes;
    this.#usage = options.usage ?? new Map();
    this.#store = options.store;
    this.#onError = options.onError ?? (() => {});
  }

  /** A ledger that reads its usage from `store` and keeps it there (in memory only without one). */
  static async open(quotaBytes: number, store: Partial<UsageStore>, onError: (error: unknown) => void): Promise<QuotaLedger> {
    if (store.addToCounters === undefined || store.readCounters === undefined) return new QuotaLedger(quotaBytes, { onError });
    const persisted: UsageStore = { addToCounters: store.addToCounters.bind(store), readCounters: store.readCounters.bind(store) };
    const usage = new Map<string, number>();
    for (const [name, bytes] of await persisted.readCounters(USAGE_PREFIX)) if (bytes > 0) usage.set(name.slice(USAGE_PREFIX.length), bytes);
    return new QuotaLedger(quotaBytes, { usage, store: persisted, onError });
  }

  /** True if usage survives restarts. */
  get persisted(): boolean {
    return this.#store !== undefined;
  }

  usage(owner: string): number {
    return this.#usage.get(owner) ?? 0;
  }

  /** Accounts with usage, and the bytes they use (for metrics and operators). */
  entries(): IterableIterator<[string, number]> {
    return this.#usage.entries();
  }

  /** Adds `bytes` to the owner's usage if that stays within the quota. */
  tryCharge(owner: string, bytes: number): boolean {
    const used = this.usage(owner);
    if (used + bytes > this.quotaBytes) return false;
    this.#usage.set(owner, used + bytes);
    this.#record(owner, bytes);
    return true;
  }

  refund(owner: string, bytes: number): void {
    const used = this.usage(owner);
    const left = used - bytes;
    if (left > 0) this.#usage.set(owner, left);
    else this.#usage.delete(owner);
    this.#record(owner, -Math.min(bytes, used));
  }

  #record(owner: string, delta: number): void {
    if (this.#store === undefined || delta === 0) return;
    const name = `${USAGE_PREFIX}${owner}`;
    this.#pending.set(name, (this.#pending.get(name) ?? 0) + delta);
    this.#flushTimer ??= setTimeout(() => {
      this.#flushTimer = undefined;
      void this.flush();
    }, FLUSH_DELAY_MS);
  }

  /** Writes pending usage now (also on server close). Never rejects: a failure is reported and retried with the next batch. */
  flush(): Promise<void> {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const store = this.#store;
    const deltas = this.#pending;
    if (store === undefined || deltas.size === 0) return this.#flushing;
    this.#pending = new Map();
    this.#flushing = this.#flushing.then(() =>
      store.addToCounters(deltas).catch((error: unknown) => {
        for (const [name, delta] of deltas) this.#pending.set(name, (this.#pending.get(name) ?? 0) + delta);
        this.#onError(error);
      }),
    );
    return this.#flushing;
  }
}
