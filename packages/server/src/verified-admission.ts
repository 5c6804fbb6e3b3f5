import { type AdmissionRequest, type AdmissionVerdict, CloseCode, type PeerState } from "@cosync/core";
import { GuardedChannel } from "./connection-guard.js";
import { isBanned } from "./bans.js";
import type { GuardContext } from "./guard-context.js";

/**
 * The server's admission policy for content core has verified (a header that hashes to its id,
 * a session piece whose signature checked out): so every charge lands on whoever really wrote
 * it, and forged content costs its victims nothing.
 *
 * - A session's owner (the account or agent that signed it): bans (Forbidden, and the connection
 *   closed with 4403 if configured), its message and byte rates across connections
 *   (RateLimited), its storage quota (QuotaExceeded).
 * - The connection that sent it: its storage quota, headers included (QuotaExceeded). Owners can
 *   be minted at will (a fresh agent is a fresh owner), so this is what bounds one connection.
 *
 * Charges are refunded if storage then fails to commit what was admitted.
 */
export function createVerifiedAdmission(ctx: GuardContext): (peer: PeerState, request: AdmissionRequest) => AdmissionVerdict {
  return (peer, request) => {
    const guard = peer.channel instanceof GuardedChannel ? peer.channel : undefined;
    if (request.kind === "header") return chargeConnection(guard, request.bytes, []);
    const { owner, bytes } = request;
    if (isBanned(ctx, owner)) {
      if (guard !== undefined && ctx.closeBanned) guard.close({ code: CloseCode.Forbidden, reason: "banned" });
      return { ok: false, code: "Forbidden", message: `${owner} is banned from this server; content not stored` };
    }
    const refunds: Array<() => void> = [];
    // An authenticated connection already paid for its own account's messages on receipt.
    if (ctx.owners !== undefined && owner !== guard?.accountId) {
      const verdict = ctx.owners.take(owner, 1, bytes);
      if (verdict !== "ok") return { ok: false, code: "RateLimited", message: `${owner} exceeds its ${verdict} rate across connections; content not stored` };
      refunds.push(() => ctx.owners?.refund(owner, 1, bytes));
    }
    const quota = ctx.quota;
    if (quota !== undefined && bytes > 0) {
      if (!quota.tryCharge(owner, bytes)) {
        for (const refund of refunds) refund();
        return {
          ok: false,
          code: "QuotaExceeded",
          message: `${owner} would exceed its storage quota of ${quota.quotaBytes} bytes (${quota.usage(owner)} used, ${bytes} more sent); content not stored`,
        };
      }
      refunds.push(() => quota.refund(owner, bytes));
    }
    return chargeConnection(guard, bytes, refunds);
  };
}

function chargeConnection(guard: GuardedChannel | undefined, bytes: number, refunds: Array<() => void>): AdmissionVerdict {
  if (guard !== undefined && bytes > 0) {
    const refusal = guard.chargeStored(bytes);
    if (refusal !== undefined) {
      for (const refund of refunds) refund();
      return { ok: false, code: "QuotaExceeded", message: refusal };
    }
    refunds.push(() => guard.refundStored(bytes));
  }
  if (refunds.length === 0) return { ok: true };
  return {
    ok: true,
    settle: (stored) => {
      if (!stored) for (const refund of refunds) refund();
    },
  };
}
