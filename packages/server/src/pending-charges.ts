import { type CoId, type ErrorNotice, isCoId, type KnownMessage, type LocalNode } from "@cosync/core";
import type { GuardContext, RefuseInput } from "./guard-context.js";

/** Content admitted for one session, charged to its owner until storage acknowledges it. */
export interface PendingCharge {
  readonly session: string;
  readonly owner: string;
  readonly after: number;
  readonly end: number;
  readonly rateMessages: number;
  readonly rateBytes: number;
  readonly quotaBytes: number;
  readonly at: number;
}

// How often (at most) admitting content looks for charges left unsettled past their timeout.
const SWEEP_INTERVAL_MS = 1000;

/**
 * The owner charges (rate and quota) of one connection's content that the server has admitted but
 * not yet acknowledged or refused. A charge stands once storage acknowledges the content; it is
 * refunded when the server refuses the content, reports a gap, never settles it within
 * `pendingTimeoutMs`, or the connection closes first, so forged content cannot spend someone
 * else's budget or quota.
 */
export class PendingCharges {
  readonly #ctx: Pick<GuardContext, "clock" | "node" | "owners" | "quota">;
  readonly #pendingTimeoutMs: number;
  readonly #refuse: RefuseInput;
  readonly #pending = new Map<CoId, PendingCharge[]>();
  readonly #settledWaiters = new Set<{ readonly waitingFor: Set<PendingCharge>; readonly resolve: () => void }>();
  #lastSweep: number;

  constructor(ctx: Pick<GuardContext, "clock" | "node" | "owners" | "quota">, pendingTimeoutMs: number, refuse: RefuseInput) {
    this.#ctx = ctx;
    this.#pendingTimeoutMs = pendingTimeoutMs;
    this.#refuse = refuse;
    this.#lastSweep = ctx.clock.now();
  }

  /** Whether any value has charges waiting (cheap: checked on every outgoing known and notice). */
  get any(): boolean {
    return this.#pending.size > 0;
  }

  /** Content messages admitted and not yet settled. */
  get count(): number {
    let count = 0;
    for (const list of this.#pending.values()) count += list.length;
    return count;
  }

  add(id: CoId, charges: readonly PendingCharge[]): void {
    let list = this.#pending.get(id);
    if (list === undefined) {
      list = [];
      this.#pending.set(id, list);
    }
    list.push(...charges);
  }

  /** Resolves once every charge pending at this call is settled (or the connection closed). */
  whenSettled(): Promise<void> {
    const waitingFor = new Set<PendingCharge>();
    for (const list of this.#pending.values()) for (const pending of list) waitingFor.add(pending);
    if (waitingFor.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#settledWaiters.add({ waitingFor, resolve }));
  }

  /** The connection closed: refunds what was not stored and releases every waiter. */
  closeAll(): void {
    this.#settleAll();
    for (const waiter of this.#settledWaiters) waiter.resolve();
    this.#settledWaiters.clear();
  }

  /** Transactions of `session` the server holds for `id`, in memory or as last known from storage. */
  storedCount(id: CoId, session: string): number {
    return storedTransactionCount(this.#ctx.node, id, session);
  }

  /** Settles what an outgoing `known` acknowledges, and refunds content it shows was past a gap. */
  settleKnown(known: KnownMessage): void {
    const list = this.#pending.get(known.id);
    if (list === undefined) return;
    const keep: PendingCharge[] = [];
    for (const pending of list) {
      const count = Math.max((known.sessions as Record<string, number>)[pending.session] ?? 0, this.storedCount(known.id, pending.session));
      if (count >= pending.end) continue; // stored: the charge stands
      // A correction concerns the content that started past what the server holds (a gap); the
      // rest of what is pending is still being stored and keeps its charge until acknowledged.
      if (known.isCorrection === true && count < pending.after) {
        this.#refuse(
          "Gap",
          `content starts after transaction ${pending.after} but the server holds ${count} of this session; resend from ${count}`,
          known.id,
          pending.session,
        );
        this.#refund(pending);
      } else keep.push(pending);
    }
    this.#replace(known.id, keep);
  }

  /** Refunds the content an outgoing error notice refused. */
  settleRefused(error: ErrorNotice["error"]): void {
    const id = error.id;
    if (id === undefined || !isCoId(id)) return;
    const list = this.#pending.get(id);
    if (list === undefined) return;
    const keep: PendingCharge[] = [];
    // Core handles one peer's messages in order, so a refusal that names no session concerns the
    // oldest pending message of the value; one naming a session, that session's oldest.
    let refunded = false;
    for (const pending of list) {
      const concerned = !refunded && (error.session === undefined || error.session === pending.session);
      if (concerned && this.storedCount(id, pending.session) < pending.end) {
        this.#refund(pending);
        refunded = true;
      } else keep.push(pending);
    }
    this.#replace(id, keep);
  }

  /** Refunds charges older than `pendingTimeoutMs`, looking at most once per second. */
  maybeSweep(): void {
    const now = this.#ctx.clock.now();
    if (this.#pending.size === 0 || now - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    this.#settleAll(now - this.#pendingTimeoutMs);
  }

  #settleAll(olderThan = Number.POSITIVE_INFINITY): void {
    for (const [id, list] of this.#pending) {
      const keep: PendingCharge[] = [];
      for (const pending of list) {
        if (pending.at >= olderThan) keep.push(pending);
        else if (this.storedCount(id, pending.session) < pending.end) this.#refund(pending);
      }
      this.#replace(id, keep);
    }
  }

  #refund(pending: PendingCharge): void {
    if (pending.rateMessages > 0 || pending.rateBytes > 0) this.#ctx.owners?.refund(pending.owner, pending.rateMessages, pending.rateBytes);
    if (pending.quotaBytes > 0) this.#ctx.quota?.refund(pending.owner, pending.quotaBytes);
  }

  #replace(id: CoId, keep: PendingCharge[]): void {
    const before = this.#pending.get(id);
    if (keep.length === 0) this.#pending.delete(id);
    else this.#pending.set(id, keep);
    if (this.#settledWaiters.size === 0 || before === undefined) return;
    const kept = new Set(keep);
    for (const waiter of this.#settledWaiters) {
      for (const pending of before) if (!kept.has(pending)) waiter.waitingFor.delete(pending);
      if (waiter.waitingFor.size === 0) {
        this.#settledWaiters.delete(waiter);
        waiter.resolve();
      }
    }
  }
}

function storedTransactionCount(node: LocalNode, id: CoId, session: string): number {
  const entry = node.peekEntry(id);
  if (entry === undefined) return 0;
  const log = entry.log;
  if (log !== undefined) return log.sessions.get(session as never)?.count ?? 0;
  return (entry.lastKnown?.sessions as Record<string, number> | undefined)?.[session] ?? 0;
}
