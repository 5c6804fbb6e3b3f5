import type { CoId } from "@cosync/core";
import type { GuardContext } from "./guard-context.js";

/**
 * An owner is banned if listed, and an account and its agent (the initial admin named in the
 * account's header, when the account is in memory) are banned together: banning either stops
 * writes in sessions of both. O(bans) for agent-owned sessions, so keep ban lists short.
 */
export function isBanned(ctx: Pick<GuardContext, "bans" | "node">, owner: string): boolean {
  const bans = ctx.bans;
  if (bans === undefined || bans.size === 0) return false;
  if (bans.has(owner)) return true;
  if (owner.startsWith("co_z")) {
    const agent = agentOfAccount(ctx, owner);
    return agent !== undefined && bans.has(agent);
  }
  for (const banned of bans) if (banned.startsWith("co_z") && agentOfAccount(ctx, banned) === owner) return true;
  return false;
}

function agentOfAccount(ctx: Pick<GuardContext, "bans" | "node">, account: string): string | undefined {
  const ruleset = ctx.node.peekEntry(account as CoId)?.log?.header.ruleset;
  return ruleset?.type === "group" ? ruleset.initialAdmin : undefined;
}

/** The account or agent that owns a session id, or undefined if it does not look like one. */
export function ownerOfSession(session: string): string | undefined {
  const at = session.lastIndexOf("_session_");
  return at > 0 ? session.slice(0, at) : undefined;
}

/** The first banned owner among a content message's sessions (read before anything is verified). */
export function bannedOwnerIn(ctx: Pick<GuardContext, "bans" | "node">, pieces: unknown): { owner: string; session: string } | undefined {
  if (ctx.bans === undefined || ctx.bans.size === 0) return undefined;
  if (pieces === null || typeof pieces !== "object" || Array.isArray(pieces)) return undefined;
  for (const session of Object.keys(pieces)) {
    const owner = ownerOfSession(session);
    if (owner !== undefined && isBanned(ctx, owner)) return { owner, session };
  }
  return undefined;
}
