// Invites (cojson 0.20): a random 32-byte seed names an agent; the group gives that agent an
// invite role; whoever holds the secret writes, in the invite agent's own session, its account's
// role and key reveal.

import type { CoCrypto } from "../crypto/co-crypto.js";
import { base58Decode, base58Encode } from "../encoding/base58.js";
import type { AgentId, AgentSecret } from "../ids/agent-id.js";
import { type InviteSecret, parseInviteSecret } from "../ids/crypto-strings.js";
import { err, ok, type Result } from "../result.js";
import { addMemberChanges, type GroupSetChange, type NewMember, type WriteContext } from "./group-changes.js";
import { directRole, type GroupState } from "./group-state.js";
import type { Identity, KeyLookup } from "./key-access.js";
import { describeValue } from "../errors.js";
import { type AccountRole, isAccountRole, isInviteRole, roleGrantedByInvite } from "./roles.js";

/** The agent an invite secret stands for. */
export function inviteIdentity(crypto: CoCrypto, inviteSecret: InviteSecret): Identity {
  const seed = base58Decode(parseInviteSecret(inviteSecret, "inviteSecret").slice("inviteSecret_z".length));
  const agentSecret: AgentSecret = crypto.agentSecretFromSeed(seed);
  return { id: crypto.agentId(agentSecret), agentSecret };
}

/**
 * Creates an invite (cojson `createInvite`): a fresh seed, and the changes that add its agent
 * with role `<role>Invite` and the keys that role may see.
 */
export function createInviteChanges(
  ctx: WriteContext,
  group: GroupState,
  lookup: KeyLookup,
  role: AccountRole,
): Result<{ readonly inviteSecret: InviteSecret; readonly changes: GroupSetChange[] }, string> {
  if (group.isAccount) return err("accounts can't have invites");
  if (!isAccountRole(role)) return err(`role: expected reader, writer, writeOnly, manager or admin, got ${describeValue(role)}`);
  const seed = ctx.crypto.provider.randomBytes(32);
  const inviteSecret: InviteSecret = `inviteSecret_z${base58Encode(seed)}`;
  const agent = inviteIdentity(ctx.crypto, inviteSecret).id as AgentId;
  const changes = addMemberChanges(ctx, group, lookup, { id: agent, agent }, `${role}Invite`);
  return changes.ok ? ok({ inviteSecret, changes: changes.value }) : changes;
}

/**
 * Accepting an invite (cojson `acceptInvite`): `ctx.me` must be the invite's identity
 * (`inviteIdentity`) writing in its own session `<inviteAgentId>_session_z…`; the changes give
 * `account` the role the invite grants, with its keys. Returns no changes when cojson would not
 * accept: the account is admin, or would keep the same or a higher role.
 */
export function acceptInviteChanges(
  ctx: WriteContext,
  group: GroupState,
  lookup: KeyLookup,
  account: NewMember,
): Result<GroupSetChange[], string> {
  if (group.isAccount) return err("invites to accounts can't be accepted");
  const inviteRole = directRole(group, ctx.me.id);
  if (!isInviteRole(inviteRole)) return err(`${ctx.me.id} holds no invite in ${group.id}`);
  const existing = directRole(group, account.id);
  // cojson compares a writer with "reader", not "readerInvite": a writer accepting a reader invite is demoted.
  const keeps =
    existing === "admin" ||
    (existing === "writer" && inviteRole === "writerInvite") ||
    (existing === "reader" && inviteRole === "readerInvite") ||
    (existing !== undefined && inviteRole === "writeOnlyInvite");
  if (keeps) return ok([]);
  return addMemberChanges(ctx, group, lookup, account, roleGrantedByInvite(inviteRole));
}
