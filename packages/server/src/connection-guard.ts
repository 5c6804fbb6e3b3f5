import { CloseCode, type CloseReason, type ContentMessage, type ErrorCode, isCoId, type OutgoingMessage, type PeerChannel, type PeerRole } from "@cosync/core";
import { bannedOwnerIn } from "./bans.js";
import type { GuardContext, GuardLimits } from "./guard-context.js";
import { approximateJsonBytes, MAX_JSON_DEPTH, messageBytes } from "./message-size.js";
import { RateBudget, type RateLimits, type RateVerdict } from "./account-limits.js";
import { RefusalNotices } from "./refusal-notices.js";

const knownActions = new Set(["load", "known", "content", "done", "reconcile", "reconcile-ack"]);

/**
 * A PeerChannel wrapper that enforces a server's limits on what a connection sends, before the
 * sync manager sees it, so core stays unaware of them. Every refusal is explicit: the message is
 * dropped, an error notice (`{"error":{"code":…}}`, invisible to cojson clients) says why, and the
 * refusal is logged and counted (RefusalNotices).
 *
 * Checks, in order: size (TooLarge), the connection's message and byte budgets (RateLimited), the
 * authenticated account's budgets, a banned owner's session (Forbidden). These are the sender's own costs, charged before anything is
 * verified. What content costs its writers (bans, per-owner rates and quotas) and the bytes this
 * connection may store are charged only once core verified it (see verified-admission.ts).
 */
/** Who a connection proved to be (see AuthVerdict). */
export interface ConnectionIdentity {
  readonly accountId?: string;
  /** Set when a token proved the agent: the connection then writes only its account's sessions. */
  readonly agentId?: string;
  /** A connection without credentials under `auth.mode: "optional"`: it may only read. */
  readonly anonymous?: boolean;
}

export class GuardedChannel implements PeerChannel {
  readonly inner: PeerChannel;
  readonly accountId: string | undefined;
  readonly identity: ConnectionIdentity;
  readonly #limits: GuardLimits;
  readonly #ctx: GuardContext;
  readonly #budget: RateBudget | undefined;
  readonly #notices: RefusalNotices;
  /** Ack credit: per value, plain `known`s the content we pushed to this connection may still be answered with free of charge. */
  readonly #ackCredit = new Map<string, number>();
  #ackCreditTotal = 0;
  /** Per value, what we sent this connection so far (see #sentSomethingNew). */
  readonly #sent = new Map<string, SentState>();
  /** Bytes this connection had stored (headers and transactions), against `limits.connectionQuotaBytes`. */
  #storedBytes = 0;
  readonly #listeners = new Set<(message: unknown) => void>();
  #subscribed = false;
  readonly #stats = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 };

  constructor(inner: PeerChannel, limits: GuardLimits, ctx: GuardContext, identity: ConnectionIdentity = {}) {
    this.inner = inner;
    this.#limits = limits;
    this.#ctx = ctx;
    this.identity = identity;
    this.accountId = identity.accountId;
    const connection = limits.connection;
    this.#budget = connection === undefined ? undefined : new RateBudget(connection, ctx.clock);
    this.#notices = new RefusalNotices(inner, ctx, limits.noticesPerSecond);
  }

  /** Charges verified content to this connection's storage quota; why not, if it would exceed it. */
  chargeStored(bytes: number): string | undefined {
    const quota = this.#limits.connectionQuotaBytes;
    if (quota !== undefined && this.#storedBytes + bytes > quota) {
      return `this connection would exceed its storage quota of ${quota} bytes (${this.#storedBytes} used, ${bytes} more sent); content not stored`;
    }
    this.#storedBytes += bytes;
    return undefined;
  }

  refundStored(bytes: number): void {
    this.#storedBytes = Math.max(0, this.#storedBytes - bytes);
  }

  /** Messages and (approximate JSON) bytes this connection sent and was sent, refused ones included. */
  get stats(): Readonly<{ messagesIn: number; messagesOut: number; bytesIn: number; bytesOut: number }> {
    return this.#stats;
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

  pause(): void {
    this.inner.pause?.();
  }

  resume(): void {
    this.inner.resume?.();
  }

  send(message: OutgoingMessage): void {
    if ("action" in message) {
      this.inner.send(message);
      const bytes = messageBytes(message);
      this.#stats.messagesOut++;
      this.#stats.bytesOut += bytes;
      this.#ctx.observer?.message("out", message.action, bytes);
      this.#ctx.trace?.(this.peerId, "out", message, bytes);
      if (message.action === "content" && this.#sentSomethingNew(message)) this.#grantAckCredit(message.id);
      return;
    }
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

  /**
   * Whether `message` carries a header or transactions this connection was not sent before (and
   * notes them). Content pushed to a subscriber always does; a resend answering a correction or a
   * repeated `load` does not, and earns no ack credit (else each resend would pay for the next
   * correction). A value forgotten here (the oldest, beyond MAX_SENT_VALUES) counts as never sent.
   */
  #sentSomethingNew(message: ContentMessage): boolean {
    let sent = this.#sent.get(message.id);
    if (sent === undefined) {
      if (this.#sent.size >= MAX_SENT_VALUES) this.#sent.delete(this.#sent.keys().next().value as string);
      sent = { header: false, sessions: new Map() };
      this.#sent.set(message.id, sent);
    }
    let somethingNew = false;
    if (message.header !== undefined && !sent.header) {
      sent.header = true;
      somethingNew = true;
    }
    for (const [session, piece] of Object.entries(message.new)) {
      const until = piece.after + piece.newTransactions.length;
      if (until > (sent.sessions.get(session) ?? 0)) {
        sent.sessions.set(session, until);
        somethingNew = true;
      }
    }
    return somethingNew;
  }

  #grantAckCredit(id: string): void {
    if (this.#ackCreditTotal >= MAX_ACK_CREDIT) return;
    this.#ackCredit.set(id, (this.#ackCredit.get(id) ?? 0) + 1);
    this.#ackCreditTotal++;
  }

  #spendAckCredit(id: string): boolean {
    const credit = this.#ackCredit.get(id);
    if (credit === undefined) return false;
    if (credit > 1) this.#ackCredit.set(id, credit - 1);
    else this.#ackCredit.delete(id);
    this.#ackCreditTotal--;
    return true;
  }

  #receive(raw: unknown): void {
    const bytes = approximateJsonBytes(raw);
    const action = actionOf(raw);
    this.#stats.messagesIn++;
    this.#stats.bytesIn += bytes;
    this.#ctx.observer?.message("in", action, bytes);
    this.#ctx.trace?.(this.peerId, "in", raw, bytes);
    const id = idOf(raw);
    if (bytes === Number.POSITIVE_INFINITY) {
      this.refuse("MalformedMessage", `message is nested more than ${MAX_JSON_DEPTH} levels deep (no sync message is); dropped`, id);
      return;
    }
    if (bytes > this.#limits.maxMessageBytes) {
      this.refuse("TooLarge", `message of about ${bytes} bytes exceeds the limit of ${this.#limits.maxMessageBytes} bytes; dropped`, id);
      return;
    }
    // A `known` acknowledging content we pushed is ours to pay for: otherwise anyone writing into a
    // value a client subscribes to would spend that client's (and its account's) budget through its
    // acks. Only a plain ack of that same value, which can make us send nothing we sent already:
    // a correction makes us resend from what it claims, and a `known` of a value we never sent
    // makes us send all of it, so those cost what a `load` costs.
    if (action === "known" && id !== undefined && !isCorrection(raw) && this.#spendAckCredit(id)) {
      for (const listener of [...this.#listeners]) listener(raw);
      return;
    }
    const connectionVerdict = this.#budget?.take(1, bytes) ?? "ok";
    if (connectionVerdict !== "ok") {
      this.refuse("RateLimited", `connection exceeds its ${describeBudget(this.#budget?.limits, connectionVerdict)}; message dropped`, id);
      return;
    }
    const unauthenticated = this.#ctx.unauthenticated;
    if (this.accountId === undefined && unauthenticated !== undefined) {
      const verdict = unauthenticated.take(1, bytes);
      if (verdict !== "ok") {
        this.refuse("RateLimited", `unauthenticated connections together exceed the server's ${verdict} rate for them; message dropped`, id);
        return;
      }
    }
    const accounts = this.#ctx.accounts;
    if (this.accountId !== undefined && accounts !== undefined) {
      const verdict = accounts.take(this.accountId, 1, bytes);
      if (verdict !== "ok") {
        this.refuse("RateLimited", `account ${this.accountId} exceeds its ${verdict} rate; message dropped`, id);
        return;
      }
    }
    // A tokenless connection under optional auth only reads: its content is refused before it costs
    // a signature check or a place among content waiting for unknown signers.
    if (action === "content" && this.identity.anonymous === true) {
      this.refuse("Forbidden", "connections without a token may only read on this server; authenticate (?auth=<token>) to write", id);
      return;
    }
    // An account already at its quota can store nothing more: its content is refused before it
    // costs a signature check (it changes nothing; what it might repeat is stored already).
    const quota = this.#ctx.quota;
    if (action === "content" && this.accountId !== undefined && quota !== undefined && quota.usage(this.accountId) >= quota.quotaBytes) {
      this.refuse("QuotaExceeded", `account ${this.accountId} has used all of its storage quota of ${quota.quotaBytes} bytes; content not stored`, id);
      return;
    }
    // Refusing a banned owner's sessions before verifying them costs no one else anything: the
    // sender's message is dropped (a forger only gets its own connection closed).
    const banned = action === "content" ? bannedOwnerIn(this.#ctx, (raw as { new?: unknown }).new) : undefined;
    if (banned !== undefined) {
      this.refuse("Forbidden", `${banned.owner} is banned from this server; content not stored`, id, banned.session);
      if (this.#ctx.closeBanned) this.close({ code: CloseCode.Forbidden, reason: "banned" });
      return;
    }
    for (const listener of [...this.#listeners]) listener(raw);
  }
}

// Credit for acks is bounded like everything else a peer can accumulate…
const MAX_ACK_CREDIT = 10_000;
// …and so is what we remember having sent it (forgetting errs towards granting credit).
const MAX_SENT_VALUES = 4096;

interface SentState {
  header: boolean;
  /** Per session, how many transactions we sent (the highest `after + newTransactions.length`). */
  readonly sessions: Map<string, number>;
}

/** Anything but a plain ack (validation refuses an `isCorrection` that is not a boolean later). */
function isCorrection(raw: unknown): boolean {
  const flag = (raw as { isCorrection?: unknown }).isCorrection;
  return flag !== undefined && flag !== false;
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
