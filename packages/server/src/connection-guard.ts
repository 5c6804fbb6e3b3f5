import { type CloseReason, type CoId, type ErrorCode, isCoId, type OutgoingMessage, type PeerChannel, type PeerRole } from "@cosync/core";
import { type ContentShape, ContentAdmission } from "./content-admission.js";
import type { GuardContext, GuardLimits } from "./guard-context.js";
import { approximateJsonBytes, messageBytes } from "./message-size.js";
import { RateBudget, type RateLimits, type RateVerdict } from "./owner-limits.js";
import { PendingCharges } from "./pending-charges.js";
import { RefusalNotices } from "./refusal-notices.js";

const knownActions = new Set(["load", "known", "content", "done", "reconcile", "reconcile-ack"]);

/**
 * A PeerChannel wrapper that enforces a server's limits on what a connection sends, before the
 * sync manager sees it, so core stays unaware of them. Every refusal is explicit: the message is
 * dropped, an error notice (`{"error":{"code":…}}`, invisible to cojson clients) says why, and the
 * refusal is logged and counted (RefusalNotices).
 *
 * Checks, in order: size (TooLarge), the connection's message and byte budgets (RateLimited), the
 * authenticated account's budgets, then for content per session owner: bans, the owner's budgets
 * and storage quota (ContentAdmission). Owner charges are refunded when the server refuses the
 * content or never acknowledges it (PendingCharges). A correction `known` for content whose
 * `after` lay beyond what the server holds is followed by a `Gap` notice.
 */
export class GuardedChannel implements PeerChannel {
  readonly inner: PeerChannel;
  readonly accountId: string | undefined;
  readonly #limits: GuardLimits;
  readonly #ctx: GuardContext;
  readonly #budget: RateBudget | undefined;
  readonly #notices: RefusalNotices;
  readonly #charges: PendingCharges;
  readonly #admission: ContentAdmission;
  readonly #listeners = new Set<(message: unknown) => void>();
  #subscribed = false;

  constructor(inner: PeerChannel, limits: GuardLimits, ctx: GuardContext, accountId?: string) {
    this.inner = inner;
    this.#limits = limits;
    this.#ctx = ctx;
    this.accountId = accountId;
    const connection = limits.connection;
    this.#budget = connection === undefined ? undefined : new RateBudget(connection, ctx.clock);
    this.#notices = new RefusalNotices(inner, ctx, limits.noticesPerSecond);
    const refuse = this.refuse.bind(this);
    this.#charges = new PendingCharges(ctx, limits.pendingTimeoutMs, refuse);
    this.#admission = new ContentAdmission({
      ctx,
      channel: inner,
      accountId,
      closeBanned: limits.closeBanned,
      charges: this.#charges,
      refuse,
    });
    void inner.closed.then(() => this.#charges.closeAll());
  }

  /** Content received so far and not yet acknowledged or refused, in messages. */
  get pendingContent(): number {
    return this.#charges.count;
  }

  /**
   * Resolves once every content message received before this call was acknowledged or refused
   * (or the connection closed): the server waits for it on shutdown so no ack is cut off.
   */
  whenSettled(): Promise<void> {
    return this.#charges.whenSettled();
  }

  get peerId(): string {
    return this.inner.peerId;
  }
  get role(): PeerRole {
    return this.inner.role;
  }
  get persistent(): boolean {
    return this.inner.persistent;
  }
  get acceptsErrorNotices(): boolean {
    return this.inner.acceptsErrorNotices;
  }
  get closed(): Promise<CloseReason> {
    return this.inner.closed;
  }

  close(reason?: CloseReason): void {
    this.inner.close(reason);
  }

  send(message: OutgoingMessage): void {
    if ("action" in message) {
      this.inner.send(message);
      this.#ctx.observer?.message("out", message.action, messageBytes(message));
      if (message.action === "known" && this.#charges.any) this.#charges.settleKnown(message);
      return;
    }
    if (this.#charges.any) this.#charges.settleRefused(message.error);
    this.#notices.forward(message);
  }

  onMessage(listener: (message: unknown) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#subscribed) {
      this.#subscribed = true;
      this.inner.onMessage((message) => this.#receive(message));
    }
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Sends a refusal notice (throttled), counts and logs it. */
  refuse(code: ErrorCode, message: string, id?: string, session?: string): void {
    this.#notices.refuse(code, message, id, session);
  }

  #receive(raw: unknown): void {
    const bytes = approximateJsonBytes(raw);
    const action = actionOf(raw);
    this.#ctx.observer?.message("in", action, bytes);
    const id = idOf(raw);
    if (bytes > this.#limits.maxMessageBytes) {
      this.refuse("TooLarge", `message of about ${bytes} bytes exceeds the limit of ${this.#limits.maxMessageBytes} bytes; dropped`, id);
      return;
    }
    const connectionVerdict = this.#budget?.take(1, bytes) ?? "ok";
    if (connectionVerdict !== "ok") {
      this.refuse("RateLimited", `connection exceeds its ${describeBudget(this.#budget?.limits, connectionVerdict)}; message dropped`, id);
      return;
    }
    const owners = this.#ctx.owners;
    if (this.accountId !== undefined && owners !== undefined) {
      const verdict = owners.take(this.accountId, 1, bytes);
      if (verdict !== "ok") {
        this.refuse("RateLimited", `account ${this.accountId} exceeds its ${verdict} rate; message dropped`, id);
        return;
      }
    }
    if (action === "content" && id !== undefined && !this.#admission.admit(id as CoId, raw as ContentShape)) return;
    for (const listener of [...this.#listeners]) listener(raw);
  }
}

function actionOf(raw: unknown): string {
  if (raw === null || typeof raw !== "object") return "invalid";
  const action = (raw as { action?: unknown }).action;
  return typeof action === "string" && knownActions.has(action) ? action : "unknown";
}

function idOf(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== "object") return undefined;
  const id = (raw as { id?: unknown }).id;
  return isCoId(id) ? id : undefined;
}

function describeBudget(limits: RateLimits | undefined, verdict: RateVerdict): string {
  const limit = verdict === "messages" ? limits?.messages : limits?.bytes;
  if (limit === undefined) return `${verdict} rate`;
  return `${verdict} rate of ${limit.perSecond}/s (burst ${limit.burst ?? limit.perSecond})`;
}
