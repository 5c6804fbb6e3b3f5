// Builders for the changes cojson 0.20 writes to groups and accounts: creating
// them, adding and removing members with key reveals and read-key rotation, and parent links.
// Each change becomes one trusting transaction in `ctx.sessionId`, the first at index
// `ctx.nextTxIndex`; sealed reveals take their nonce from that position, so append the changes in
// order, one per transaction, and nothing in between (see `changesToTransactions`).

import type { CoCrypto } from "../crypto/co-crypto.js";
import type { CoValueHeader } from "../covalues/header.js";
import { describeValue } from "../errors.js";
import type { JsonValue } from "../encoding/canonical-json.js";
import { type AgentId, isAgentId, sealerIdOfAgent, sealerSecretOfAgent, type SealerId } from "../ids/agent-id.js";
import type { CoId } from "../ids/co-id.js";
import type { KeyId, KeySecret } from "../ids/crypto-strings.js";
import type { SessionId } from "../ids/session-id.js";
import { makeTrustingTransaction } from "../log/make-transaction.js";
import type { TrustingTransaction } from "../log/transaction.js";
import { err, ok, type Result } from "../result.js";
import { isSelfExtension } from "./evaluate.js";
import { formatGroupSealer, parseGroupSealer } from "./group-keys.js";
import { activeParentIds, directRole, type GroupState, groupKeys, groupValue, memberKeys, roleOf } from "./group-state.js";
import { currentReadKey, type Identity, type KeyLookup, readKeySecret } from "./key-access.js";
import { EVERYONE, isAccountRole, isAdminLike, isRole, type ParentRole, receivesReadKey, type Role } from "./roles.js";

/** One change of a group's map; cojson writes each in its own trusting transaction. */
export interface GroupSetChange {
  readonly op: "set";
  readonly key: string;
  readonly value: JsonValue;
}

/** Who writes, and where the changes will sit in the group's log. */
export interface WriteContext {
  readonly crypto: CoCrypto;
  readonly me: Identity;
  /** The writer's session in this group (in an account: `<agentId>_session_z…`). */
  readonly sessionId: SessionId;
  /** How many transactions that session already holds in this group. */
  readonly nextTxIndex: number;
}

/** A read key: id and secret. */
export interface ReadKey {
  readonly id: KeyId;
  readonly secret: KeySecret;
}

/** A member to add: an account with its current agent, or a bare agent (its own agent). */
export interface NewMember {
  readonly id: CoId | AgentId;
  readonly agent: AgentId;
}

/** One trusting transaction per change, all made at `madeAt`. */
export function changesToTransactions(changes: readonly GroupSetChange[], madeAt: number): TrustingTransaction[] {
  return changes.map((change) => makeTrustingTransaction([change as unknown as JsonValue], madeAt));
}

/** The header of a new group (`createdAt` and `uniqueness` as from `crypto.newUniqueness()`). */
export function groupHeader(options: {
  readonly initialAdmin: CoId | AgentId;
  readonly uniqueness: string;
  readonly createdAt?: string;
  readonly name?: string;
}): CoValueHeader {
  return {
    type: "comap",
    ruleset: { type: "group", initialAdmin: options.initialAdmin },
    meta: options.name ? { name: options.name } : null,
    ...(options.createdAt === undefined ? {} : { createdAt: options.createdAt }),
    uniqueness: options.uniqueness,
  };
}

/** An account's deterministic header: its id is a function of its agent alone. */
export function accountHeader(agent: AgentId): CoValueHeader {
  return { type: "comap", ruleset: { type: "group", initialAdmin: agent }, meta: { type: "account" }, createdAt: null, uniqueness: null };
}

class BuildError extends Error {}

/** Accumulates changes for one group, knowing the transaction each will land in. */
class ChangeList {
  readonly changes: GroupSetChange[] = [];
  constructor(
    private readonly ctx: WriteContext,
    private readonly groupId: CoId,
  ) {}

  set(key: string, value: JsonValue): void {
    this.changes.push({ op: "set", key, value });
  }

  /** `<keyId>_for_<recipient>`: the key sealed from my agent to the recipient's agent. */
  sealTo(key: ReadKey, recipient: string, agent: AgentId): void {
    const nonce = { in: this.groupId, tx: { sessionID: this.ctx.sessionId, txIndex: this.ctx.nextTxIndex + this.changes.length } };
    const sealed = this.ctx.crypto.seal(key.secret, sealerSecretOfAgent(this.ctx.me.agentSecret), sealerIdOfAgent(agent), nonce);
    this.set(`${key.id}_for_${recipient}`, sealed);
  }

  /** `<keyId>_sealedFor_<sealer>`: the key sealed for a group sealer by an ephemeral key. */
  sealForGroup(key: ReadKey, sealer: SealerId): void {
    const nonce = { in: this.groupId, tx: { sessionID: this.ctx.sessionId, txIndex: this.ctx.nextTxIndex + this.changes.length } };
    this.set(`${key.id}_sealedFor_${sealer}`, this.ctx.crypto.sealForGroup(key.secret, sealer, nonce));
  }

  /** `<keyId>_for_<encryptingId>`: the key wrapped with another (newer, or a parent's) key. */
  wrap(key: ReadKey, encrypting: ReadKey): void {
    this.set(`${key.id}_for_${encrypting.id}`, this.ctx.crypto.encryptKeySecret(key, encrypting));
  }
}

function build(ctx: WriteContext, groupId: CoId, body: (list: ChangeList) => void): Result<GroupSetChange[], string> {
  const list = new ChangeList(ctx, groupId);
  try {
    body(list);
  } catch (error) {
    if (error instanceof BuildError) return err(error.message);
    throw error;
  }
  return ok(list.changes);
}

function myAgent(ctx: WriteContext): AgentId {
  return ctx.crypto.agentId(ctx.me.agentSecret);
}

/** A new group's four changes: me admin, the read key sealed to me, `readKey`, `groupSealer`. */
export function createGroupChanges(ctx: WriteContext, groupId: CoId, readKey: ReadKey): GroupSetChange[] {
  const list = new ChangeList(ctx, groupId);
  list.set(ctx.me.id, "admin");
  list.sealTo(readKey, ctx.me.id, myAgent(ctx));
  list.set("readKey", readKey.id);
  list.set("groupSealer", formatGroupSealer(readKey.id, ctx.crypto.groupSealerFromReadKey(readKey.secret).id));
  return list.changes;
}

/**
 * A new account's three changes, in its agent's session: the agent admin, the read key sealed
 * to the agent, `readKey`. (cojson then adds a profile group, the profile and `profile`.)
 */
export function createAccountChanges(ctx: WriteContext, accountId: CoId, readKey: ReadKey): GroupSetChange[] {
  const agent = myAgent(ctx);
  const list = new ChangeList(ctx, accountId);
  list.set(agent, "admin");
  list.sealTo(readKey, agent, agent);
  list.set("readKey", readKey.id);
  return list.changes;
}

function agentOfMember(member: string, lookup: KeyLookup): AgentId {
  const agent = isAgentId(member) ? member : lookup.accountAgent(member as CoId);
  if (agent === undefined) throw new BuildError(`the agent of member ${member} is not known`);
  return agent;
}

function requireCurrentKey(group: GroupState, ctx: WriteContext, lookup: KeyLookup): ReadKey {
  const key = currentReadKey(group, ctx.me, lookup, ctx.crypto);
  if (key?.secret === undefined) throw new BuildError(`${ctx.me.id} can't read the current key of ${group.id}`);
  return { id: key.id, secret: key.secret };
}

function parentState(lookup: KeyLookup, id: CoId): GroupState {
  const parent = lookup.group(id);
  if (parent === undefined) throw new BuildError(`parent group ${id} is not loaded`);
  return parent;
}

/** Key ids of the writeOnly members' write keys (values of `writeKeyFor_*`). */
function writeOnlyKeyIds(group: GroupState): KeyId[] {
  return groupKeys(group)
    .filter((key) => key.startsWith("writeKeyFor_"))
    .map((key) => groupValue(group, key))
    .filter((value): value is KeyId => typeof value === "string");
}

/**
 * Reveals `key` of `child` to `parent` (cojson `revealReadKeyToParentGroup`): wrapped with the
 * parent's current key if I am a member of the parent, else sealed for its group sealer.
 */
function revealToParent(
  list: ChangeList,
  ctx: WriteContext,
  child: GroupState,
  parent: GroupState,
  key: ReadKey,
  lookup: KeyLookup,
  withWriteOnlyKeys: boolean,
): void {
  const extraKeys: ReadKey[] = [];
  if (withWriteOnlyKeys) {
    for (const id of writeOnlyKeyIds(child)) {
      const secret = readKeySecret(child, id, ctx.me, lookup, ctx.crypto);
      if (secret !== undefined) extraKeys.push({ id, secret });
    }
  }
  if (!isAccountRole(roleOf(parent, ctx.me.id, lookup))) {
    const sealerValue = groupValue(parent, "groupSealer");
    if (typeof sealerValue !== "string" || sealerValue === "") {
      throw new BuildError(`parent ${parent.id} has no groupSealer and ${ctx.me.id} is not a member (legacy fallback not supported)`);
    }
    const sealer = parseGroupSealer(sealerValue).sealerId as SealerId;
    for (const each of [key, ...extraKeys]) list.sealForGroup(each, sealer);
    return;
  }
  const parentKey = requireCurrentKey(parent, ctx, lookup);
  for (const each of [key, ...extraKeys]) list.wrap(each, parentKey);
}

interface RotateOptions {
  readonly removed?: string;
  /** Parents whose link the same operation revokes before rotating. */
  readonly skipParent?: CoId;
}

function rotateInto(list: ChangeList, ctx: WriteContext, group: GroupState, lookup: KeyLookup, options: RotateOptions): void {
  // With everyone a reader the new key would be public anyway.
  if (options.removed !== EVERYONE && receivesReadKey(directRole(group, EVERYONE))) return;
  const members = memberKeys(group).filter((key) => key !== options.removed);
  const readers = members.filter((key) => receivesReadKey(directRole(group, key)));
  const writeOnlyMembers = members.filter((key) => {
    const role = directRole(group, key);
    return role === "writeOnly" || role === "writeOnlyInvite";
  });
  const parents = activeParentIds(group)
    .filter((id) => id !== options.skipParent)
    .map((id) => parentState(lookup, id));
  const current = requireCurrentKey(group, ctx, lookup);
  const next = ctx.crypto.newKey();

  for (const reader of readers) list.sealTo(next, reader, agentOfMember(reader, lookup));
  for (const member of writeOnlyMembers) {
    const writeKey = ctx.crypto.newKey();
    list.sealTo(writeKey, member, agentOfMember(member, lookup));
    list.set(`writeKeyFor_${member}`, writeKey.id);
    for (const reader of readers) list.sealTo(writeKey, reader, agentOfMember(reader, lookup));
    for (const parent of parents) revealToParent(list, ctx, group, parent, writeKey, lookup, false);
  }
  list.wrap(current, next);
  list.set("readKey", next.id);
  list.set("groupSealer", formatGroupSealer(next.id, ctx.crypto.groupSealerFromReadKey(next.secret).id));
  for (const parent of parents) {
    const parentKey = currentReadKey(parent, ctx.me, lookup, ctx.crypto);
    // cojson skips parents whose key the rotating member can't read.
    if (parentKey?.secret !== undefined) list.wrap(next, { id: parentKey.id, secret: parentKey.secret });
  }
}

/**
 * A read-key rotation (cojson `rotateReadKey`): a new key sealed to every remaining member whose
 * direct role reads, new write keys for writeOnly members, the old key wrapped with the new one,
 * `readKey`, a new `groupSealer`, the new key wrapped with each active parent's key. cojson also
 * rotates loaded child groups that extend this one: the caller does that, group by group.
 */
export function rotateReadKeyChanges(
  ctx: WriteContext,
  group: GroupState,
  lookup: KeyLookup,
  removed?: string,
): Result<GroupSetChange[], string> {
  return build(ctx, group.id, (list) => rotateInto(list, ctx, group, lookup, removed === undefined ? {} : { removed }));
}

/** Removal: rotate the read key (if I am admin or manager), then set the member `revoked`. */
export function removeMemberChanges(
  ctx: WriteContext,
  group: GroupState,
  lookup: KeyLookup,
  member: string,
): Result<GroupSetChange[], string> {
  return build(ctx, group.id, (list) => {
    if (isAdminLike(roleOf(group, ctx.me.id, lookup))) rotateInto(list, ctx, group, lookup, { removed: member });
    list.set(member, "revoked");
  });
}

function addMemberInto(
  list: ChangeList,
  ctx: WriteContext,
  group: GroupState,
  lookup: KeyLookup,
  member: NewMember | typeof EVERYONE,
  role: Role,
): void {
  const memberKey = member === EVERYONE ? EVERYONE : member.id;
  const previous = directRole(group, memberKey);
  if (previous === role) return;
  if (member === EVERYONE) {
    if (role !== "reader" && role !== "writer" && role !== "writeOnly") {
      throw new BuildError("everyone can only be made reader, writer or writeOnly");
    }
    const current = requireCurrentKey(group, ctx, lookup);
    list.set(EVERYONE, role);
    // cojson then also deletes `<key>_for_everyone`, a change its own validator refuses.
    if (role === "writeOnly") {
      if (previous === "reader" || previous === "writer") rotateInto(list, ctx, group, lookup, { removed: EVERYONE });
    } else {
      list.set(`${current.id}_for_${EVERYONE}`, current.secret);
    }
    return;
  }
  if (role === "writeOnly" || role === "writeOnlyInvite") {
    if (previous === "reader" || previous === "writer" || previous === "manager" || previous === "admin") {
      rotateInto(list, ctx, group, lookup, { removed: memberKey });
    }
    list.set(memberKey, role);
    const writeKey = ctx.crypto.newKey();
    list.set(`writeKeyFor_${memberKey}`, writeKey.id);
    list.sealTo(writeKey, memberKey, member.agent);
    for (const other of memberKeys(group)) {
      const otherRole = other === memberKey ? role : directRole(group, other);
      if (receivesReadKey(otherRole)) list.sealTo(writeKey, other, agentOfMember(other, lookup));
    }
    for (const parentId of activeParentIds(group)) {
      revealToParent(list, ctx, group, parentState(lookup, parentId), writeKey, lookup, false);
    }
    return;
  }
  const current = requireCurrentKey(group, ctx, lookup);
  list.set(memberKey, role);
  list.sealTo(current, memberKey, member.agent);
  for (const id of writeOnlyKeyIds(group)) {
    const secret = readKeySecret(group, id, ctx.me, lookup, ctx.crypto);
    if (secret !== undefined) list.sealTo({ id, secret }, memberKey, member.agent);
  }
}

/**
 * Gives `member` a role with the keys it needs (cojson `addMember`): the role, then the current
 * read key and every write key sealed to it; a writeOnly member instead gets its own write key
 * (revealed to readers and parents), after a rotation if it could read before.
 */
export function addMemberChanges(
  ctx: WriteContext,
  group: GroupState,
  lookup: KeyLookup,
  member: NewMember | typeof EVERYONE,
  role: Role,
): Result<GroupSetChange[], string> {
  if (!isRole(role)) return err(`role: expected a role, got ${describeValue(role)}`);
  if (member !== EVERYONE && !isAgentId(member.agent)) return err(`member.agent: expected an agent id, got ${describeValue(member.agent)}`);
  return build(ctx, group.id, (list) => addMemberInto(list, ctx, group, lookup, member, role));
}

/**
 * Links `child` to `parent` (cojson `extend`): `parent_<id>` set to `role` ("extend" inherits
 * the parent's roles), then the child's current key (and write keys) revealed to the parent.
 * Refused if the parent already (transitively) extends the child, or I am not the child's admin.
 */
export function extendChanges(
  ctx: WriteContext,
  child: GroupState,
  parent: GroupState,
  lookup: KeyLookup,
  role: Exclude<ParentRole, "revoked"> = "extend",
): Result<GroupSetChange[], string> {
  if (!["extend", "reader", "writer", "manager", "admin"].includes(role)) {
    return err(`role: expected extend, reader, writer, manager or admin, got ${describeValue(role)}`);
  }
  if (parent.isAccount) return err(`${parent.id} is an account; only groups can be parents`);
  if (isSelfExtension(child.id, parent, lookup)) return err(`${parent.id} already extends ${child.id}: a cycle`);
  if (roleOf(child, ctx.me.id, lookup) !== "admin") return err(`${ctx.me.id} must be admin of ${child.id} to extend it`);
  return build(ctx, child.id, (list) => {
    list.set(`parent_${parent.id}`, role);
    revealToParent(list, ctx, child, parent, requireCurrentKey(child, ctx, lookup), lookup, true);
  });
}

/** Unlinks a parent (cojson `revokeExtend`): `parent_<id>` revoked, then a rotation. */
export function revokeExtendChanges(
  ctx: WriteContext,
  child: GroupState,
  parent: GroupState,
  lookup: KeyLookup,
): Result<GroupSetChange[], string> {
  if (roleOf(child, ctx.me.id, lookup) !== "admin") return err(`${ctx.me.id} must be admin of ${child.id} to unextend it`);
  if (!isAccountRole(roleOf(parent, ctx.me.id, lookup))) return err(`${ctx.me.id} must be a member of ${parent.id}`);
  const link = groupValue(child, `parent_${parent.id}`);
  if (!link || link === "revoked") return ok([]);
  return build(ctx, child.id, (list) => {
    list.set(`parent_${parent.id}`, "revoked");
    rotateInto(list, ctx, child, lookup, { skipParent: parent.id });
  });
}
