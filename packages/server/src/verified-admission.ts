import { type AdmissionRequest, type AdmissionVerdict, CloseCode, type CoValueHeader, type PeerState } from "@cosync/core";
import { GuardedChannel } from "./connection-guard.js";
import { isBanned } from "./bans.js";
import type { GuardContext } from "./guard-context.js";

/**
 * The server's admission policy for content core has verified (a header that hashes to its id,
 * a session piece whose signature checked out). Charges land only on who provably sent it:
 *
 * - A session's owner (the account or agent that signed it) may be banned: Forbidden, and the
 *   connection closed with 4403 if configured.
 * - The account a connection is authenticated as pays for everything that connection stores
 *   (its storage quota, QuotaExceeded), headers included. Owners of sessions are *not* charged:
 *   a signature covers a session's hash chain, not the value it is in, so anyone can copy a
 *   victim's signed content into values of their own — charging the signer would let them spend
 *   the victim's quota.
 * - The connection that sent it: its own storage quota, headers included (QuotaExceeded). This is
 *   what bounds an unauthenticated peer.
 *
 * Rates are charged on receipt, to the connection and to the account it is authenticated as
 * (connection-guard.ts). Charges are refunded if storage then fails to commit what was admitted.
 */
export function createVerifiedAdmission(ctx: GuardContext): (peer: PeerState, request: AdmissionRequest) => AdmissionVerdict {
  return (peer, request) => {
    const guard = peer.channel instanceof GuardedChannel ? peer.channel : undefined;
    if (request.kind === "header" && request.bytes > ctx.maxHeaderBytes) {
      return { ok: false, code: "TooLarge", message: `header of ${request.bytes} bytes exceeds the limit of ${ctx.maxHeaderBytes} bytes; not stored` };
    }
    const identity = guard?.identity;
    if (identity?.anonymous === true) {
      return { ok: false, code: "Forbidden", message: "connections without a token may only read on this server; authenticate (?auth=<token>) to write" };
    }
    // A new account arrives only over its own connection: another account's connection uploading
    // it would bypass sign-up policy (closed, invite) and could squat a victim's account id with a
    // bare header (the id is computable from the victim's public agent id).
    if (request.kind === "header" && identity?.agentId !== undefined && isAccountHeader(request.header) && request.id !== identity.accountId) {
      return {
        ok: false,
        code: "Forbidden",
        message: `this connection is authenticated as ${identity.accountId}; a new account (${request.id}) signs up over its own connection`,
      };
    }
    // A token proved the account: its connection writes that account's sessions (and agents'
    // ones: its own agent's, invite agents'), so a stolen socket can't write as someone else.
    if (request.kind === "session" && identity?.agentId !== undefined && request.owner.startsWith("co_z") && request.owner !== identity.accountId) {
      return {
        ok: false,
        code: "Forbidden",
        message: `this connection is authenticated as ${identity.accountId}; it may not write sessions of ${request.owner}`,
      };
    }
    if (request.kind === "session" && isBanned(ctx, request.owner)) {
      if (guard !== undefined && ctx.closeBanned) guard.close({ code: CloseCode.Forbidden, reason: "banned" });
      return { ok: false, code: "Forbidden", message: `${request.owner} is banned from this server; content not stored` };
    }
    const { bytes } = request;
    const refunds: Array<() => void> = [];
    const account = guard?.accountId;
    const quota = ctx.quota;
    if (quota !== undefined && account !== undefined && bytes > 0) {
      if (!quota.tryCharge(account, bytes)) {
        return {
          ok: false,
          code: "QuotaExceeded",
          message: `account ${account} would exceed its storage quota of ${quota.quotaBytes} bytes (${quota.usage(account)} used, ${bytes} more sent); content not stored`,
        };
      }
      refunds.push(() => quota.refund(account, bytes));
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

/** cojson's account header: a group whose meta says account. */
function isAccountHeader(header: CoValueHeader): boolean {
  return header.ruleset.type === "group" && header.meta?.type === "account";
}
