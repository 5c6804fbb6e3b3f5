import { CloseCode, type CoId, type PeerChannel } from "@cosync/core";
import type { GuardContext, RefuseInput } from "./guard-context.js";
import { approximateJsonBytes } from "./message-size.js";
import type { PendingCharge, PendingCharges } from "./pending-charges.js";

/** The part of a content message admission reads; core validates the rest. */
export interface ContentShape {
  readonly new?: unknown;
}

interface PieceShape {
  readonly after: number;
  readonly newTransactions: readonly unknown[];
}

const SESSION_MARKER = "_session_";

/**
 * Per-owner admission of one connection's content, by the owners of its sessions (the account or
 * agent before `_session_`): bans (Forbidden, and close with 4403 if configured), the owner's
 * message and byte budgets across connections (RateLimited) and storage quota (QuotaExceeded).
 * What it charges is recorded as pending until storage acknowledges the content, so refused or
 * never-acknowledged content is refunded (see PendingCharges).
 */
export class ContentAdmission {
  readonly #ctx: GuardContext;
  readonly #channel: PeerChannel;
  readonly #accountId: string | undefined;
  readonly #closeBanned: boolean;
  readonly #charges: PendingCharges;
  readonly #refuse: RefuseInput;

  constructor(options: {
    readonly ctx: GuardContext;
    readonly channel: PeerChannel;
    readonly accountId: string | undefined;
    readonly closeBanned: boolean;
    readonly charges: PendingCharges;
    readonly refuse: RefuseInput;
  }) {
    this.#ctx = options.ctx;
    this.#channel = options.channel;
    this.#accountId = options.accountId;
    this.#closeBanned = options.closeBanned;
    this.#charges = options.charges;
    this.#refuse = options.refuse;
  }

  /** Ban, per-owner rate and quota checks of a content message; false if it was refused. */
  admit(id: CoId, message: ContentShape): boolean {
    const pieces = message.new;
    if (pieces === null || typeof pieces !== "object" || Array.isArray(pieces)) return true; // core refuses it
    this.#charges.maybeSweep();
    const now = this.#ctx.clock.now();
    const sessions: Array<{ session: string; owner: string; after: number; end: number; bytes: number }> = [];
    for (const [session, piece] of Object.entries(pieces as Record<string, unknown>)) {
      const owner = ownerOf(session);
      if (owner === undefined || !isPiece(piece)) return true; // malformed: core refuses the whole message
      if (this.#isBanned(owner)) {
        this.#refuse("Forbidden", `${owner} is banned from this server; content not stored`, id, session);
        if (this.#closeBanned) this.#channel.close({ code: CloseCode.Forbidden, reason: "banned" });
        return false;
      }
      const after = piece.after;
      const end = after + piece.newTransactions.length;
      // Charged on its own terms: another pending message (possibly a gap core will refuse) must
      // not make this one look free. Overlapping pipelined content is charged twice: the safe way.
      const start = Math.max(after, this.#charges.storedCount(id, session));
      let bytes = 0;
      for (let index = start - after; index < piece.newTransactions.length; index++)
        bytes += approximateJsonBytes(piece.newTransactions[index]);
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
      // An authenticated connection already paid for its own account's messages.
      const rate = this.#ctx.owners !== undefined && owner !== this.#accountId;
      if (rate) {
        const verdict = this.#ctx.owners?.take(owner, 1, bytes) ?? "ok";
        if (verdict !== "ok") {
          refundAll();
          this.#refuse("RateLimited", `${owner} exceeds its ${verdict} rate across connections; content dropped`, id);
          return false;
        }
      }
      const quota = this.#ctx.quota;
      if (quota !== undefined && bytes > 0 && !quota.tryCharge(owner, bytes)) {
        if (rate) this.#ctx.owners?.refund(owner, 1, bytes);
        refundAll();
        this.#refuse(
          "QuotaExceeded",
          `${owner} would exceed its storage quota of ${quota.quotaBytes} bytes (${quota.usage(owner)} used, ${bytes} more sent); content not stored`,
          id,
        );
        return false;
      }
      charged.push({ owner, rate, bytes, quota: quota !== undefined && bytes > 0 });
    }
    const pending: PendingCharge[] = [];
    const messageCharged = new Set<string>();
    for (const { session, owner, after, end, bytes } of sessions) {
      const charge = charged.find((c) => c.owner === owner);
      const rateMessages = charge?.rate === true && !messageCharged.has(owner) ? 1 : 0;
      messageCharged.add(owner);
      pending.push({
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
    this.#charges.add(id, pending);
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
