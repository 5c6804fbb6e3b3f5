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

/**
 * Bytes stored per authenticated account, against a quota. Charged once content is verified and
 * admitted, refunded if storage then fails to commit it, so concurrent writes cannot overshoot.
 *
 * Usage is counted by this server process from its start: it is not read back from storage (the
 * StorageAdapter contract has no usage query yet), so a restart starts every account from zero.
 */
export class QuotaLedger {
  readonly quotaBytes: number;
  readonly #usage = new Map<string, number>();

  constructor(quotaBytes: number) {
    this.quotaBytes = quotaBytes;
  }

  usage(owner: string): number {
    return this.#usage.get(owner) ?? 0;
  }

  /** Adds `bytes` to the owner's usage if that stays within the quota. */
  tryCharge(owner: string, bytes: number): boolean {
    const used = this.usage(owner);
    if (used + bytes > this.quotaBytes) return false;
    this.#usage.set(owner, used + bytes);
    return true;
  }

  refund(owner: string, bytes: number): void {
    const left = this.usage(owner) - bytes;
    if (left > 0) this.#usage.set(owner, left);
    else this.#usage.delete(owner);
  }
}
