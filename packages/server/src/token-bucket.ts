import type { Clock } from "@cosync/core";

/** A rate and how much of it may be spent at once. */
export interface RateLimit {
  /** Tokens added per second. */
  readonly perSecond: number;
  /** Most tokens the bucket holds (the largest burst). Default: one second's worth. */
  readonly burst?: number;
}

/**
 * A token bucket over an injected clock: it starts full, refills continuously at `perSecond` up
 * to `burst`, and `take` spends tokens only if enough are there. `charge` spends unconditionally
 * (the balance may go negative: a debt repaid by later refills), for costs known only after the
 * fact. No timers: the balance is brought up to date on each call.
 */
export class TokenBucket {
  readonly perSecond: number;
  readonly burst: number;
  readonly #clock: Pick<Clock, "now">;
  #tokens: number;
  #updatedAt: number;

  constructor(limit: RateLimit, clock: Pick<Clock, "now">) {
    assertRateLimit(limit, "limit");
    this.perSecond = limit.perSecond;
    this.burst = limit.burst ?? limit.perSecond;
    this.#clock = clock;
    this.#tokens = this.burst;
    this.#updatedAt = clock.now();
  }

  /** Tokens available now (negative while in debt). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Spends `cost` tokens if at least `cost` (or, for costs above the burst, a full bucket) are there. */
  take(cost: number): boolean {
    this.#refill();
    // A single cost larger than the burst could never pass; let it through on a full bucket.
    const needed = Math.min(cost, this.burst);
    if (this.#tokens < needed) return false;
    this.#tokens -= cost;
    return true;
  }

  /** True if `take(cost)` would succeed now, without spending. */
  allows(cost: number): boolean {
    this.#refill();
    return this.#tokens >= Math.min(cost, this.burst);
  }

  /** Spends `cost` tokens even if that leaves a debt. */
  charge(cost: number): void {
    this.#refill();
    this.#tokens -= cost;
  }

  /** Gives back tokens spent on something that turned out not to count (never above the burst). */
  refund(cost: number): void {
    this.#refill();
    this.#tokens = Math.min(this.burst, this.#tokens + cost);
  }

  /** True when the bucket is full (it can be forgotten without changing behaviour). */
  get isFull(): boolean {
    return this.tokens >= this.burst;
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = now - this.#updatedAt;
    if (elapsed <= 0) return;
    this.#updatedAt = now;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed / 1000) * this.perSecond);
  }
}

/** Throws a RangeError naming `argument` unless `limit` is a usable rate limit. */
export function assertRateLimit(limit: RateLimit, argument: string): void {
  if (limit === null || typeof limit !== "object") throw new TypeError(`${argument}: expected { perSecond, burst? }`);
  if (!(typeof limit.perSecond === "number" && Number.isFinite(limit.perSecond) && limit.perSecond > 0)) {
    throw new RangeError(`${argument}.perSecond: expected a positive number, got ${String(limit.perSecond)}`);
  }
  if (limit.burst !== undefined && !(typeof limit.burst === "number" && Number.isFinite(limit.burst) && limit.burst > 0)) {
    throw new RangeError(`${argument}.burst: expected a positive number, got ${String(limit.burst)}`);
  }
}
