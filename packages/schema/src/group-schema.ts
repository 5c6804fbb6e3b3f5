import type { AccountRole, CoId, CoValueHandle, GroupView, InviteSecret, LocalNode, Role } from "@cosync/core";
import { CoSchema, type LoadOptions } from "./co-schema.js";
import type { TreeListener, TreeSubscriptionOptions } from "./deep-load.js";

/** A member as the group methods take it: an account id, or a typed account instance. */
export type Member = CoId | { readonly $id: CoId };

function memberId(member: Member | "everyone"): CoId | "everyone" {
  return typeof member === "string" ? member : member.$id;
}

/** A `co.group()` schema: a cojson group (what owns values and says who may read and write them). */
export class GroupSchema extends CoSchema {
  readonly kind = "group";

  loadView(node: LocalNode, id: CoId): Promise<CoValueHandle> {
    return node.loadGroup(id);
  }
  wrap(view: CoValueHandle): GroupInstance {
    return new GroupInstance(this, view as GroupView);
  }
  /** Creates a group in `node`, with its account as admin. */
  create(node: LocalNode): GroupInstance {
    return this.wrap(node.createGroup());
  }
  load(id: CoId, options: LoadOptions<true>): Promise<GroupInstance> {
    return this.loadWith(id, options) as Promise<GroupInstance>;
  }
  subscribe(id: CoId, options: TreeSubscriptionOptions<true>, listener: TreeListener<GroupInstance>): () => void {
    return this.subscribeWith(id, options, listener as TreeListener<unknown>);
  }
}

/**
 * A loaded group: roles, members, invites. Membership changes throw a PermissionError (from core)
 * when our role does not allow them.
 */
export class GroupInstance {
  readonly $isLoaded = true;
  readonly #view: GroupView;
  constructor(
    readonly $schema: GroupSchema,
    view: GroupView,
  ) {
    this.#view = view;
  }
  get $id(): CoId {
    return this.#view.id;
  }
  /** The core group view (also what `options.owner` takes). */
  get $group(): GroupView {
    return this.#view;
  }
  /** The role of an account (or `everyone`), undefined if none. */
  roleOf(member: Member | "everyone"): Role | undefined {
    return this.#view.roleOf(memberId(member));
  }
  /** The role of this node's account. */
  get myRole(): Role | undefined {
    return this.#view.roleOf(this.#view.node.accountId ?? this.#view.node.agentId);
  }
  /** Adds an account (loading it first if this node doesn't hold it) or everyone with a role. */
  async addMember(member: Member | "everyone", role: AccountRole): Promise<void> {
    const id = memberId(member);
    if (id !== "everyone" && this.#view.node.getGroup(id) === undefined) await this.#view.node.loadGroup(id);
    this.#view.addMember(id, role);
  }
  /** Removes a member; rotates the read key so it can't read what follows. */
  removeMember(member: Member | "everyone"): void {
    this.#view.removeMember(memberId(member));
  }
  /** An invite secret that lets whoever holds it join with `role`. Share it only with the invitee. */
  createInvite(role: AccountRole): InviteSecret {
    return this.#view.createInvite(role);
  }
  /** Joins this group with an invite (as this node's account). */
  acceptInvite(invite: InviteSecret): void {
    this.#view.acceptInvite(invite);
  }
  /** Makes this group's members inherit from `parent`. */
  extend(parent: GroupInstance): void {
    this.#view.extend(parent.$group);
  }
  toJSON(): string {
    return this.$id;
  }
}
