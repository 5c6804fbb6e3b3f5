// Who may read and write a CoValue, from its owner group's trusting membership (and the groups
// it extends), evaluated by core's permission rules in a node that has no account: it can read
// roles, which groups keep in the clear, and can decrypt nothing.
import {
  activeParentIds,
  type CoId,
  type CoValueHeader,
  createLocalNode,
  type CoCrypto,
  directRole,
  EVERYONE,
  type GroupState,
  type LocalNode,
  memberKeys,
  type Role,
  type StorageAdapter,
} from "@cosync/core";

export interface OwnerLink {
  readonly id: CoId;
  /** "account" or "group"; "unavailable" if the store does not hold it. */
  readonly kind: "account" | "group" | "unavailable";
  /** How it joins the chain: the value's owner, or a parent of the link before it (with the link's role). */
  readonly via: string;
}

export interface AccessReport {
  /** "group" for values owned by a group; otherwise the ruleset says who may write ("unsafeAllowAll": anyone). */
  readonly rule: string;
  readonly ownerChain: readonly OwnerLink[];
  /**
   * Effective role of every account/agent named anywhere in the chain, and of "everyone" when it
   * has one or is named. "revoked" for a member named but holding no role now: removed (or only
   * writeOnly in an extended group, which is not inherited).
   */
  readonly roles: Readonly<Record<string, Role>>;
  readonly readers: readonly string[];
  readonly writers: readonly string[];
  readonly admins: readonly string[];
}

const READS = new Set<string>(["reader", "writer", "manager", "admin"]);
const WRITES = new Set<string>(["writer", "writeOnly", "manager", "admin"]);

/** Evaluates access to a value with `header` (for a group or account: to the group itself). */
export async function reportAccess(storage: StorageAdapter, crypto: CoCrypto, id: CoId, header: CoValueHeader): Promise<AccessReport> {
  await using node = createLocalNode({ crypto, storage, gc: false });
  return await reportAccessWith(node, id, header);
}

/** The same, loading groups through `node` (its storage, or a server it is connected to). */
export async function reportAccessWith(node: LocalNode, id: CoId, header: CoValueHeader): Promise<AccessReport> {
  const ruleset = header.ruleset;
  let ownerId: CoId;
  if (ruleset.type === "ownedByGroup") ownerId = ruleset.group;
  else if (ruleset.type === "group") ownerId = id;
  else return { rule: ruleset.type, ownerChain: [], roles: {}, readers: ruleset.type === "unsafeAllowAll" ? [EVERYONE] : [], writers: ruleset.type === "unsafeAllowAll" ? [EVERYONE] : [], admins: [] };

  const chain: OwnerLink[] = [];
  const states: GroupState[] = [];
  const queue: Array<{ id: CoId; via: string }> = [{ id: ownerId, via: ownerId === id ? "itself" : "owner" }];
  const seen = new Set<CoId>();
  while (queue.length > 0) {
    const next = queue.shift() as { id: CoId; via: string };
    if (seen.has(next.id)) continue;
    seen.add(next.id);
    const loaded = await node.load(next.id);
    const state = loaded.status === "loaded" ? node.permissions.group(next.id) : undefined;
    if (state === undefined) {
      chain.push({ ...next, kind: "unavailable" });
      continue;
    }
    chain.push({ ...next, kind: state.isAccount ? "account" : "group" });
    states.push(state);
    for (const parent of activeParentIds(state)) queue.push({ id: parent, via: `parent of ${next.id}` });
  }
  const owner = states[0];
  const roles: Record<string, Role> = {};
  const group = owner === undefined || chain[0]?.kind === "unavailable" ? undefined : node.getGroup(owner.id);
  if (owner !== undefined && group !== undefined) {
    const everyone = group.roleOf(EVERYONE);
    if (everyone !== undefined) roles[EVERYONE] = everyone;
    else if (states.some((state) => directRole(state, EVERYONE) !== undefined)) roles[EVERYONE] = "revoked";
    const members = new Set<string>();
    for (const state of states) for (const member of memberKeys(state)) members.add(member);
    if (owner.isAccount) members.add(owner.id);
    // A removed member stays listed: leaving it out would hide that it once had access.
    for (const member of members) roles[member] = group.roleOf(member as CoId) ?? "revoked";
  }
  const having = (set: Set<string>) => Object.keys(roles).filter((member) => set.has(roles[member] as string));
  return { rule: "group", ownerChain: chain, roles, readers: having(READS), writers: having(WRITES), admins: having(new Set(["admin"])) };
}
