import type { CoValueHeader, CoValueType } from "../covalues/header.js";
import type { JsonObject } from "../encoding/canonical-json.js";
import type { AgentId, AgentSecret } from "../ids/agent-id.js";
import { isAgentId } from "../ids/agent-id.js";
import type { CoId } from "../ids/co-id.js";
import type { InviteSecret } from "../ids/crypto-strings.js";
import type { SessionId } from "../ids/session-id.js";
import {
  addMemberChanges,
  changesToTransactions,
  extendChanges,
  type GroupSetChange,
  removeMemberChanges,
  rotateReadKeyChanges,
  type WriteContext,
} from "../permissions/group-changes.js";
import { type GroupState, roleOf } from "../permissions/group-state.js";
import { acceptInviteChanges, createInviteChanges, inviteIdentity } from "../permissions/invites.js";
import type { Identity } from "../permissions/key-access.js";
import { type AccountRole, EVERYONE, type ParentRole, type Role } from "../permissions/roles.js";
import type { Result } from "../result.js";
import { PermissionError } from "./app-errors.js";
import { assertMayChangeRole, assertMayWriteIn } from "./write-access.js";
import type { CoValueEntry } from "./co-value-entry.js";
import { CoValueHandle } from "./co-value-handle.js";
import { BinaryStreamView, CoListView, CoMapView, CoPlainTextView, CoStreamView } from "./co-value-views.js";
import type { LocalNode } from "./local-node.js";
import { isoTimestamp } from "../time/iso-time.js";


function unwrap<T>(result: Result<T, string>): T {
  if (!result.ok) throw new PermissionError(result.error);
  return result.value;
}

/** Options of lists and texts at creation (cojson's `createList(…, { restrictDeletion })`). */
export interface ListOptions {
  /**
   * Only managers and admins may delete: a transaction with a `del` by anyone else is ignored
   * as a whole when reading (writers can still append), as cojson does.
   */
  readonly restrictDeletion?: boolean;
}

/**
 * A group (or account) as its members use it: roles, members, invites, parents, key rotation,
 * and creating values it owns. Every change is a trusting transaction in our session, built by
 * the pure builders of permissions/ so the bytes match cojson's.
 */
export class GroupView extends CoValueHandle {
  readonly #entry: CoValueEntry;

  constructor(node: LocalNode, entry: CoValueEntry) {
    super(node, entry);
    this.#entry = entry;
  }

  get state(): GroupState {
    const state = this.node.permissions.group(this.id);
    if (state === undefined) throw new Error(`${this.id} is not a group or account`);
    return state;
  }

  /** Effective role of an account or agent (or "everyone"), now or at `atTime`. */
  roleOf(member: CoId | AgentId | typeof EVERYONE, atTime?: number): Role | undefined {
    return roleOf(this.state, member, this.node.permissions, atTime);
  }

  #context(sessionId: SessionId, me: Identity): WriteContext {
    const nextTxIndex = this.#entry.log?.sessions.get(sessionId)?.count ?? 0;
    return { crypto: this.node.crypto, me, sessionId, nextTxIndex };
  }

  #ownContext(): WriteContext {
    return this.#context(this.node.sessionFor(this.id), this.node.permissions.identity);
  }

  #apply(changes: readonly GroupSetChange[]): void {
    for (const tx of changesToTransactions(changes, this.node.clock.now())) this.node.appendOwnTransaction(this.#entry, tx);
  }

  /** Adds an account (which must be loaded) or `everyone` with a role, revealing keys to it. */
  addMember(member: CoId | AgentId | typeof EVERYONE, role: AccountRole): void {
    assertMayChangeRole(this.node, this, member, role);
    const target =
      member === EVERYONE ? EVERYONE : { id: member, agent: isAgentId(member) ? member : this.#agentOf(member as CoId) };
    this.#apply(unwrap(addMemberChanges(this.#ownContext(), this.state, this.node.permissions, target, role)));
  }

  #agentOf(account: CoId): AgentId {
    const agent = this.node.permissions.accountAgent(account);
    if (agent === undefined) throw new Error(`account ${account} is not loaded; load it before adding it`);
    return agent;
  }

  /**
   * Removes a member: rotates the read key (so it can't read what follows) — here and, as cojson
   * does, in every loaded child group that extends this one — then revokes it.
   */
  removeMember(member: CoId | AgentId | typeof EVERYONE): void {
    assertMayChangeRole(this.node, this, member, "revoked");
    const rotates = this.#canRotate();
    this.#apply(unwrap(removeMemberChanges(this.#ownContext(), this.state, this.node.permissions, member)));
    if (rotates) this.#rotateChildren(member, new Set([this.id]));
  }

  rotateReadKey(removed?: CoId | AgentId | typeof EVERYONE): void {
    this.#rotate(removed, new Set([this.id]));
  }

  #canRotate(): boolean {
    const role = this.roleOf(this.node.accountId ?? this.node.agentId);
    return role === "admin" || role === "manager";
  }

  #rotate(removed: string | undefined, visited: Set<CoId>): void {
    this.#apply(unwrap(rotateReadKeyChanges(this.#ownContext(), this.state, this.node.permissions, removed)));
    this.#rotateChildren(removed, visited);
  }

  // Loaded groups whose active `parent_<this>` link makes them inherit our members rotate too;
  // unloaded ones catch up when their key is next revealed (as in cojson).
  #rotateChildren(removed: string | undefined, visited: Set<CoId>): void {
    for (const entry of this.node.allEntries()) {
      if (visited.has(entry.id) || entry.log?.header.ruleset.type !== "group" || entry.log.header.meta?.type === "account") continue;
      const child = new GroupView(this.node, entry);
      const link = child.state.entries.get(`parent_${this.id}`)?.at(-1)?.value;
      if (link === undefined || link === "revoked") continue;
      visited.add(entry.id);
      if (!child.#canRotate() || this.node.permissions.writeKeyFor(child.id) === undefined) continue;
      child.#rotate(removed, visited);
    }
  }

  /** Makes this group inherit from `parent` (cojson `extend`). */
  extend(parent: GroupView, role: Exclude<ParentRole, "revoked"> = "extend"): void {
    this.#apply(unwrap(extendChanges(this.#ownContext(), this.state, parent.state, this.node.permissions, role)));
  }

  /** Creates an invite secret whoever holds can use to join with `role`. */
  createInvite(role: AccountRole): InviteSecret {
    const { inviteSecret, changes } = unwrap(createInviteChanges(this.#ownContext(), this.state, this.node.permissions, role));
    this.#apply(changes);
    return inviteSecret;
  }

  /** Joins with an invite: writes, as the invite's agent, our account's role and key reveal. */
  acceptInvite(inviteSecret: InviteSecret): void {
    const me = this.node.accountId;
    if (me === undefined) throw new Error("only an account can accept an invite");
    const invite = inviteIdentity(this.node.crypto, inviteSecret);
    const sessionId: SessionId = `${invite.id as AgentId}_session_z${this.node.crypto.newSessionRandomPart()}`;
    const changes = unwrap(
      acceptInviteChanges(this.#context(sessionId, invite), this.state, this.node.permissions, { id: me, agent: this.node.agentId }),
    );
    const txs = changesToTransactions(changes, this.node.clock.now());
    this.node.appendTransactionsAs(this.#entry, sessionId, invite.agentSecret as AgentSecret, txs);
  }

  #createOwned(type: CoValueType, meta: JsonObject | null, options?: ListOptions): CoValueEntry {
    assertMayWriteIn(this.node, this.id, `create a ${type} in ${this.id}`);
    const header: CoValueHeader = {
      type,
      ruleset: options?.restrictDeletion === true ? { type: "ownedByGroup", group: this.id, restrictDeletion: true } : { type: "ownedByGroup", group: this.id },
      meta,
      createdAt: isoTimestamp(this.node.clock.now()),
      uniqueness: this.node.crypto.newUniqueness(),
    };
    return this.node.entry(this.node.createCoValue(header).id);
  }

  createMap(initial?: Record<string, import("../encoding/canonical-json.js").JsonValue>): CoMapView {
    const map = new CoMapView(this.node, this.#createOwned("comap", null));
    for (const [key, value] of Object.entries(initial ?? {})) map.set(key, value);
    return map;
  }

  createList(options?: ListOptions): CoListView {
    return new CoListView(this.node, this.#createOwned("colist", null, options));
  }

  createStream(): CoStreamView {
    return new CoStreamView(this.node, this.#createOwned("costream", null));
  }

  createBinaryStream(): BinaryStreamView {
    return new BinaryStreamView(this.node, this.#createOwned("costream", { type: "binary" }));
  }

  createPlainText(text?: string, options?: ListOptions): CoPlainTextView {
    const view = new CoPlainTextView(this.node, this.#createOwned("coplaintext", null, options));
    if (text !== undefined && text.length > 0) view.insertAfter(0, text);
    return view;
  }
}
