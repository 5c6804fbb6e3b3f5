import {
  type CloseReason,
  CloseCode,
  type CoId,
  type Clock,
  type ErrorCode,
  type ErrorNotice,
  type KnownMessage,
  type LocalNode,
  type Logger,
  type OutgoingMessage,
  type PeerChannel,
  type PeerRole,
  isCoId,
} from "@cosync/core";
import { approximateJsonBytes, messageBytes } from "./message-size.js";
import { type OwnerRateLimiter, type QuotaLedger, RateBudget, type RateLimits, type RateVerdict } from "./owner-limits.js";
import { TokenBucket } from "./token-bucket.js";

/** Per-connection limits a guard enforces. */
export interface GuardLimits {
  readonly maxMessageBytes: number;
  readonly connection: RateLimits | undefined;
  /** Error notices sent per second at most; the rest are counted and summarized in the next one. */
  readonly noticesPerSecond: number;
  /** Admitted content not settled (acknowledged or refused) after this long is refunded. */
  readonly pendingTimeoutMs: number;
  /** Close a connection that sends content of a banned owner with CloseCode.Forbidden. */
  readonly closeBanned: boolean;
}

/** Metrics hooks of a guard. */
export interface GuardObserver {
  message(direction: "in" | "out", action: string, bytes: number): void;
  refused(code: ErrorCode): void;
}

/** What all guards of a server share. */
export interface GuardContext {
  readonly clock: Pick<Clock, "now">;
  readonly node: LocalNode;
  readonly logger: Logger;
  readonly owners: OwnerRateLimiter | undefined;
  readonly quota: QuotaLedger | undefined;
  /** Banned account and agent ids; read on every content message, so a caller's Set can change live. */
  readonly bans: ReadonlySet<string> | undefined;
  readonly observer: GuardObserver | undefined;
}

/** Content admitted for one session, charged to its owner until storage acknowledges it. */
interface Pending {
  readonly session: string;
  readonly owner: string;
  readonly after: number;
  readonly end: number;
  readonly rateMessages: number;
  readonly rateBytes: number;
  readonly quotaBytes: number;
  readonly at: number;
}

const knownActions = new Set(["load", "known", "content", "done", "reconcile", "reconcile-ack"]);
const SESSION_MARKER = "_session_";

/**
 * A PeerChannel wrapper that enforces a server's limits on what a connection sends, before the
 * sync manager sees it, so core stays unaware of them. Every refusal is explicit: the message is
 * dropped, an error notice (`{"error":{"code":…}}`, invisible to cojson clients) says why, and the
 * refusal is logged and counted.
 *
 * Checks, in order: size (TooLarge), the connection's message and byte budgets (RateLimited), the
 * authenticated account's budgets, then for content per session owner: bans (Forbidden, and close
 * with 4403 if configured), the owner's budgets (RateLimited) and storage quota (QuotaExceeded).
 * Owner charges are refunded when the server refuses the content or never acknowledges it, so
 * forged content cannot spend someone else's budget or quota. A correction `known` for content
 * whose `after` lay beyond what the server holds is followed by a `Gap` notice.
 */
export class GuardedChannel implements PeerChannel {
  readonly inner: PeerChannel;
  readonly accountId: string | undefined;
  readonly #limits: GuardLimits;
  readonly #ctx: GuardContext;
  readonly #budget: RateBudget | undefined;
  readonly #notices: TokenBucket;
  readonly #listeners = new Set<(message: unknown) => void>();
  readonly #pending = new Map<CoId, Pending[]>();
  readonly #settledWaiters = new Set<{ readonly waitingFor: Set<Pending>; readonly resolve: () => void }>();
  #subscribed = false;
  #suppressedNotices = 0;
  #lastSweep: number;

  constructor(inner: PeerChannel, limits: GuardLimits, ctx: GuardContext, accountId?: string) {
    this.inner = inner;
    this.#limits = limits;
    this.#ctx = ctx;
    this.accountId = accountId;
    const connection = limits.connection;
    this.#budget = connection === undefined ? undefined : new RateBudget(connection, ctx.clock);
    this.#notices = new TokenBucket({ perSecond: limits.noticesPerSecond }, ctx.clock);
    this.#lastSweep = ctx.clock.now();
    void inner.closed.then(() => {
      this.#settleAll();
      for (const waiter of this.#settledWaiters) waiter.resolve();
      this.#settledWaiters.clear();
    });
  }

  /** Content received so far and not yet acknowledged or refused, in messages. */
  get pendingContent(): number {
    let count = 0;
    for (const list of this.#pending.values()) count += list.length;
    return count;
  }

  /**
   * Resolves once every content message received before this call was acknowledged or refused
   * (or the connection closed): the server waits for it on shutdown so no ack is cut off.
   */
  whenSettled(): Promise<void> {
    const waitingFor = new Set<Pending>();
    for (const list of this.#pending.values()) for (const pending of list) waitingFor.add(pending);
    if (waitingFor.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#settledWaiters.add({ waitingFor, resolve }));
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
      if (message.action === "known" && this.#pending.size > 0) this.#settleKnown(message);
      return;
    }
    // Core's own error notices share the connection's notice budget with the guard's (a flood of
    // bad input must not turn into a flood of notices); suppressed ones are summarised later.
    if (this.#pending.size > 0) this.#settleRefused(message.error);
    if (!this.#notices.take(1)) {
      this.#suppressedNotices++;
      return;
    }
    this.#ctx.observer?.message("out", "error", messageBytes(message));
    this.inner.send(message);
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
    this.#ctx.observer?.refused(code);
    const error: { code: ErrorCode; message: string; id?: string; session?: string } = { code, message };
    if (id !== undefined) error.id = id;
    if (session !== undefined) error.session = session;
    if (!this.#notices.take(1)) {
      this.#suppressedNotices++;
      this.#ctx.logger.debug({ peer: this.peerId, ...error }, "refused input from peer (notice suppressed)");
      return;
    }
    if (this.#suppressedNotices > 0) {
      error.message = `${message} (${this.#suppressedNotices} more refusals since the last notice)`;
      this.#suppressedNotices = 0;
    }
    this.#ctx.logger.warn({ peer: this.peerId, ...error }, "refused input from peer");
    if (this.inner.acceptsErrorNotices) this.inner.send({ error } as ErrorNotice);
  }

  // --- incoming ------------------------------------------------------------------------------

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
    if (action === "content" && id !== undefined && !this.#admitContent(id as CoId, raw as ContentShape)) return;
    for (const listener of [...this.#listeners]) listener(raw);
  }

  /** Ban, per-owner rate and quota checks of a content message; false if it was refused. */
  #admitContent(id: CoId, message: ContentShape): boolean {
    const pieces = message.new;
    if (pieces === null || typeof pieces !== "object" || Array.isArray(pieces)) return true; // core refuses it
    this.#maybeSweep();
    const now = this.#ctx.clock.now();
    const sessions: Array<{ session: string; owner: string; after: number; end: number; bytes: number }> = [];
    for (const [session, piece] of Object.entries(pieces as Record<string, unknown>)) {
      const owner = ownerOf(session);
      if (owner === undefined || !isPiece(piece)) return true; // malformed: core refuses the whole message
      if (this.#isBanned(owner)) {
        this.refuse("Forbidden", `${owner} is banned from this server; content not stored`, id, session);
        if (this.#limits.closeBanned) this.inner.close({ code: CloseCode.Forbidden, reason: "banned" });
        return false;
      }
      const after = piece.after;
      const end = after + piece.newTransactions.length;
      // Charged on its own terms: another pending message (possibly a gap core will refuse) must
      // not make this one look free. Overlapping pipelined content is charged twice: the safe way.
      const start = Math.max(after, this.#storedCount(id, session));
      let bytes = 0;
      for (let index = start - after; index < piece.newTransactions.length; index++) bytes += approximateJsonBytes(piece.newTransactions[index]);
      sessions.push({ session, owner, after, end, bytes });
    }
    const byOwner = new Map<string, number>();
    for (const { owner, bytes } of sessions) byOwner.set(owner, (byOwner.get(owner) ?? 0) + bytes);
    const charged: Array<{ owner: string; rate: boolean; bytes: number; quota: boolean }> = [];
    const refundAll = () => {
      for (const charge of charged) {
        if (charge.rate) this.#ctx.owners?.refund(charge.owner, 1, charge.bytes);
        if (charge.quota) this.#ctx.quota?.refund(charge.owner, charge.bytes);
      }
    };
    for (const [owner, bytes] of byOwner) {
      // An authenticated connection already paid for its own account's messages above.
      const rate = this.#ctx.owners !== undefined && owner !== this.accountId;
      if (rate) {
        const verdict = this.#ctx.owners?.take(owner, 1, bytes) ?? "ok";
        if (verdict !== "ok") {
          refundAll();
          this.refuse("RateLimited", `${owner} exceeds its ${verdict} rate across connections; content dropped`, id);
          return false;
        }
      }
      const quota = this.#ctx.quota;
      if (quota !== undefined && bytes > 0 && !quota.tryCharge(owner, bytes)) {
        if (rate) this.#ctx.owners?.refund(owner, 1, bytes);
        refundAll();
        this.refuse(
          "QuotaExceeded",
          `${owner} would exceed its storage quota of ${quota.quotaBytes} bytes (${quota.usage(owner)} used, ${bytes} more sent); content not stored`,
          id,
        );
        return false;
      }
      charged.push({ owner, rate, bytes, quota: quota !== undefined && bytes > 0 });
    }
    let list = this.#pending.get(id);
    if (list === undefined) {
      list = [];
      this.#pending.set(id, list);
    }
    const messageCharged = new Set<string>();
    for (const { session, owner, after, end, bytes } of sessions) {
      const charge = charged.find((c) => c.owner === owner);
      const rateMessages = charge?.rate === true && !messageCharged.has(owner) ? 1 : 0;
      messageCharged.add(owner);
      list.push({
        session,
        owner,
        after,
        end,
        rateMessages,
        rateBytes: charge?.rate === true ? bytes : 0,
        quotaBytes: charge?.quota === true ? bytes : 0,
        at: now,
      });
    }
    return true;
  }

  /**
   * An owner is banned if listed, and an account and its agent (the initial admin named in the
   * account's header, when the account is in memory) are banned together: banning either stops
   * writes in sessions of both. O(bans) for agent-owned sessions, so keep ban lists short.
   */
  #isBanned(owner: string): boolean {
    const bans = this.#ctx.bans;
    if (bans === undefined || bans.size === 0) return false;
    if (bans.has(owner)) return true;
    if (owner.startsWith("co_z")) {
      const agent = this.#agentOfAccount(owner);
      return agent !== undefined && bans.has(agent);
    }
    for (const banned of bans) if (banned.startsWith("co_z") && this.#agentOfAccount(banned) === owner) return true;
    return false;
  }

  #agentOfAccount(account: string): string | undefined {
    const ruleset = this.#ctx.node.peekEntry(account as CoId)?.log?.header.ruleset;
    return ruleset?.type === "group" ? ruleset.initialAdmin : undefined;
  }

  #storedCount(id: CoId, session: string): number {
    const entry = this.#ctx.node.peekEntry(id);
    if (entry === undefined) return 0;
    const log = entry.log;
    if (log !== undefined) return log.sessions.get(session as never)?.count ?? 0;
    return (entry.lastKnown?.sessions as Record<string, number> | undefined)?.[session] ?? 0;
  }

  // --- settling charges ----------------------------------------------------------------------

  #settleKnown(known: KnownMessage): void {
    const list = this.#pending.get(known.id);
    if (list === undefined) return;
    const keep: Pending[] = [];
    for (const pending of list) {
      const count = Math.max((known.sessions as Record<string, number>)[pending.session] ?? 0, this.#storedCount(known.id, pending.session));
      if (count >= pending.end) continue; // stored: the charge stands
      // A correction concerns the content that started past what the server holds (a gap); the
      // rest of what is pending is still being stored and keeps its charge until acknowledged.
      if (known.isCorrection === true && count < pending.after) {
        this.refuse(
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

  #settleRefused(error: ErrorNotice["error"]): void {
    const id = error.id;
    if (id === undefined || !isCoId(id)) return;
    const list = this.#pending.get(id);
    if (list === undefined) return;
    const keep: Pending[] = [];
    // Core handles one peer's messages in order, so a refusal that names no session concerns the
    // oldest pending message of the value; one naming a session, that session's oldest.
    let refunded = false;
    for (const pending of list) {
      const concerned = !refunded && (error.session === undefined || error.session === pending.session);
      if (concerned && this.#storedCount(id, pending.session) < pending.end) {
        this.#refund(pending);
        refunded = true;
      } else keep.push(pending);
    }
    this.#replace(id, keep);
  }

  #settleAll(olderThan = Number.POSITIVE_INFINITY): void {
    for (const [id, list] of this.#pending) {
      const keep: Pending[] = [];
      for (const pending of list) {
        if (pending.at >= olderThan) keep.push(pending);
        else if (this.#storedCount(id, pending.session) < pending.end) this.#refund(pending);
      }
      this.#replace(id, keep);
    }
  }

  #maybeSweep(): void {
    const now = this.#ctx.clock.now();
    if (this.#pending.size === 0 || now - this.#lastSweep < 1000) return;
    this.#lastSweep = now;
    this.#settleAll(now - this.#limits.pendingTimeoutMs);
  }

  #refund(pending: Pending): void {
    if (pending.rateMessages > 0 || pending.rateBytes > 0) this.#ctx.owners?.refund(pending.owner, pending.rateMessages, pending.rateBytes);
    if (pending.quotaBytes > 0) this.#ctx.quota?.refund(pending.owner, pending.quotaBytes);
  }

  #replace(id: CoId, keep: Pending[]): void {
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

interface ContentShape {
  readonly new?: unknown;
}

interface PieceShape {
  readonly after: number;
  readonly newTransactions: readonly unknown[];
}

function isPiece(value: unknown): value is PieceShape {
  if (value === null || typeof value !== "object") return false;
  const piece = value as Record<string, unknown>;
  return typeof piece.after === "number" && Number.isSafeInteger(piece.after) && piece.after >= 0 && Array.isArray(piece.newTransactions);
}

/** The account or agent that owns a session id, or undefined if it does not look like one. */
export function ownerOf(session: string): string | undefined {
  const at = session.lastIndexOf(SESSION_MARKER);
  return at > 0 ? session.slice(0, at) : undefined;
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
