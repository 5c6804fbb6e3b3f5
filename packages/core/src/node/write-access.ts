import type { CoValueHeader } from "../covalues/header.js";
import type { CoId } from "../ids/co-id.js";
import type { Transaction } from "../log/transaction.js";
import { roleChangeVerdict } from "../permissions/evaluate.js";
import type { Role } from "../permissions/roles.js";
import { PermissionError } from "./app-errors.js";
import type { GroupView } from "./group-view.js";
import type { LocalNode } from "./local-node.js";

// Checked at the call so an app hears at once why a write cannot count: cojson (and every
// reader) would drop it when reading, and the server stores it anyway, so without this the write
// would look saved everywhere yet never show.

/** Roles whose transactions in a value owned by the group are valid (cojson's ownedByGroup rule). */
const WRITING_ROLES: ReadonlySet<Role> = new Set(["writer", "manager", "admin", "writeOnly"]);

const described = (role: Role | undefined) => (role === undefined ? "not a member" : `a ${role}`);

/**
 * Throws PermissionError if our role in the owner group of `header` does not allow writing `tx`
 * (any transaction when not given): a reader may write only a trusting branch pointer.
 */
export function assertMayWriteTo(node: LocalNode, id: CoId, header: CoValueHeader, tx?: Transaction): void {
  if (header.ruleset.type !== "ownedByGroup") return;
  assertMayWriteIn(node, header.ruleset.group, `write to ${id}`, tx !== undefined && isBranchPointer(tx));
}

/** Throws PermissionError unless we may write values owned by `groupId` (when it is loaded). */
export function assertMayWriteIn(node: LocalNode, groupId: CoId, what: string, readerMay = false): void {
  // An owner group we don't hold can't be judged here; a private write then fails for want of its key.
  const group = node.getGroup(groupId);
  if (group === undefined) return;
  const role = group.roleOf(node.accountId ?? node.agentId);
  if (role !== undefined && (WRITING_ROLES.has(role) || (readerMay && role === "reader"))) return;
  throw new PermissionError(`cannot ${what}: it needs writer, manager, admin or writeOnly in ${groupId}; you are ${described(role)}`);
}

/** A trusting transaction whose meta names a branch and its owner (what cojson lets readers write). */
function isBranchPointer(tx: Transaction): boolean {
  if (tx.privacy !== "trusting" || tx.meta === undefined) return false;
  try {
    const meta = JSON.parse(tx.meta) as { branch?: unknown; ownerId?: unknown } | null;
    return Boolean(meta?.branch) && Boolean(meta?.ownerId);
  } catch {
    return false;
  }
}

/** Throws PermissionError if cojson's rules would refuse our setting `member`'s role to `assigned`. */
export function assertMayChangeRole(node: LocalNode, group: GroupView, member: string, assigned: Role): void {
  // In its own account a node writes as its agent (the agent session), elsewhere as the account.
  const me = group.id === node.accountId ? node.agentId : (node.accountId ?? node.agentId);
  const myRole = group.roleOf(me);
  const verdict = roleChangeVerdict({
    author: me,
    authorRole: myRole,
    member,
    assigned,
    initialAdmin: group.state.initialAdmin,
    memberRole: () => group.roleOf(member as CoId),
  });
  if (verdict !== undefined) throw new PermissionError(`cannot make ${member} ${assigned} in ${group.id}: ${verdict}; you are ${described(myRole)}`);
}
