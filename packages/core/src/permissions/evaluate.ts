// cojson 0.20's `determineValidTransactions` for groups and accounts, as a pure
// function from a group's decoded transactions to its `GroupState`.

import type { DecodedTransaction, TxId } from "../covalues/decoded-transaction.js";
import { compareTxOrder } from "../covalues/tx-order.js";
import type { CoValueHeader } from "../covalues/header.js";
import type { JsonValue } from "../encoding/canonical-json.js";
import type { AgentId } from "../ids/agent-id.js";
import type { CoId } from "../ids/co-id.js";
import { classifyGroupKey, dependencyOfGroupKey, isKeyForKeyField, revealedKeyId } from "./group-keys.js";
import {
  activeParentIds,
  type GroupEntry,
  type GroupLookup,
  type GroupState,
  roleOf,
  type TransactionVerdict,
} from "./group-state.js";
import { EVERYONE, isAdminLike, isEveryoneRole, isInheritableRole, isRole, outranks } from "./roles.js";

/** What the LocalNode hands over to evaluate a group or account. */
export interface GroupInput {
  readonly id: CoId;
  /** Must have a `group` ruleset; `meta.type === "account"` makes it an account. */
  readonly header: CoValueHeader;
  /**
   * Every verified transaction, in any order. Trusting transactions whose changes did not parse
   * as JSON are never valid in cojson: leave them out.
   */
  readonly transactions: readonly DecodedTransaction[];
}

/**
 * The evaluation order: `compareTxOrder` (madeAt, then session id, then index). cojson orders by
 * madeAt and, within a session, by index; it leaves ties between sessions in arrival order, so
 * its replicas may disagree on same-millisecond edits by different sessions. cosync breaks those
 * ties by session id, as its materialisers do, so the verdicts are a function of the log alone.
 */
export function sortForEvaluation<T extends { readonly madeAt: number; readonly txId: TxId }>(transactions: readonly T[]): T[] {
  return transactions.slice().sort(compareTxOrder);
}

const keyRevealerRoles = new Set<unknown>([
  "admin",
  "adminInvite",
  "manager",
  "managerInvite",
  "writerInvite",
  "readerInvite",
  "writeOnlyInvite",
]);

/** Does `parent` (transitively, through its active parents now) lead back to `childId`? */
export function isSelfExtension(childId: CoId, parent: GroupState, lookup: GroupLookup): boolean {
  const checked = new Set<CoId>();
  const queue: GroupState[] = [parent];
  for (let current = queue.pop(); current !== undefined; current = queue.pop()) {
    if (current.id === childId) return true;
    checked.add(current.id);
    for (const id of activeParentIds(current)) {
      const next = checked.has(id) ? undefined : lookup.group(id);
      if (next !== undefined) queue.push(next);
    }
  }
  return false;
}

/**
 * Evaluates a group or account: sorts its transactions, decides each one's validity by the rules
 * of cojson 0.20's rules (in its order of checks), and builds the map of the valid changes. Parent groups
 * come from `lookup`; a parent link to a group the lookup does not know is invalid (cojson cannot
 * evaluate it either and waits for the parent to load).
 */
export function evaluateGroup(input: GroupInput, lookup: GroupLookup): GroupState {
  const { ruleset } = input.header;
  if (ruleset.type !== "group") throw new TypeError(`input.header: ${input.id} is not a group (ruleset ${ruleset.type})`);
  const isAccount = input.header.meta?.type === "account";
  const initialAdmin = ruleset.initialAdmin;

  const directRoles = new Map<string, unknown>();
  // JS Map order matters: a re-linked parent keeps its place, a revoked one goes to the end.
  const parents = new Map<CoId, { readonly state: GroupState; readonly mapping: unknown }>();
  const writeOnlyKeys = new Map<string, unknown>();
  const writeKeys = new Set<string>();

  const verdicts: TransactionVerdict[] = [];
  const entries = new Map<string, GroupEntry[]>();
  const parentIds: CoId[] = [];
  const keyRevelations = new Map<string, string[]>();

  // cojson's MemberRoleResolver: direct role so far, replaced by a strictly higher parent role
  // (the parent read as of the transaction's time, `everyone` of this group never counted).
  const roleAt = (member: string, time: number): unknown => {
    let role = directRoles.get(member);
    for (const { state, mapping } of parents.values()) {
      const parentRole = roleOf(state, member, lookup, time);
      if (!parentRole || !isInheritableRole(parentRole)) continue;
      const resolved = mapping === "extend" ? parentRole : mapping;
      if (outranks(resolved, role)) role = resolved;
    }
    return role;
  };

  const accept = (tx: DecodedTransaction, changes: readonly JsonValue[]): void => {
    verdicts.push({ txId: tx.txId, author: tx.author, madeAt: tx.madeAt, valid: true });
    for (const change of changes) {
      if (change === null || typeof change !== "object" || Array.isArray(change)) continue;
      const { op, key } = change;
      if (typeof key !== "string" || (op !== "set" && op !== "del")) continue;
      const entry: GroupEntry = { txId: tx.txId, madeAt: tx.madeAt, by: tx.author, value: op === "set" ? change.value : undefined };
      const list = entries.get(key);
      if (list === undefined) entries.set(key, [entry]);
      else list.push(entry);
      if (op !== "set") continue;
      const dependency = key.startsWith("parent_") ? dependencyOfGroupKey(key) : undefined;
      if (dependency !== undefined && !parentIds.includes(dependency)) parentIds.push(dependency);
      if (isKeyForKeyField(key)) {
        const parts = key.split("_for_");
        if (parts.length === 2) {
          const [encrypted, encrypting] = parts as [string, string];
          const list = keyRevelations.get(encrypted);
          if (list === undefined) keyRevelations.set(encrypted, [encrypting]);
          else if (!list.includes(encrypting)) list.push(encrypting);
        }
      }
    }
  };
  const refuse = (tx: DecodedTransaction, reason: string): void => {
    verdicts.push({ txId: tx.txId, author: tx.author, madeAt: tx.madeAt, valid: false, reason });
  };

  for (const tx of sortForEvaluation(input.transactions)) {
    const author = tx.author;
    const authorRole = roleAt(author, tx.madeAt);

    if (tx.privacy === "private") {
      if (!isAccount) refuse(tx, "private transactions are not allowed in groups");
      else if (authorRole === "admin") accept(tx, tx.changes);
      else refuse(tx, "only admins can make private transactions in accounts");
      continue;
    }
    if (tx.changes.length !== 1) {
      refuse(tx, "a group transaction must have exactly one change");
      continue;
    }
    const change = tx.changes[0];
    if (change === null || typeof change !== "object" || Array.isArray(change) || change.op !== "set") {
      refuse(tx, "a group transaction must be a set");
      continue;
    }
    const key = change.key;
    const value = change.value;
    if (typeof key !== "string") {
      // cojson throws on a non-string key; nothing can make such a change valid.
      refuse(tx, "a group change must have a string key");
      continue;
    }

    const kind = classifyGroupKey(key);
    switch (kind.kind) {
      case "readKey":
      case "groupSealer":
      case "profile":
      case "root":
        if (isAdminLike(authorRole)) accept(tx, tx.changes);
        else refuse(tx, `only admins and managers can set ${kind.kind}`);
        continue;
      case "keyReveal": {
        const revealed = revealedKeyId(key);
        const ownWriteKey = revealed !== "" && writeOnlyKeys.get(author) === revealed;
        if (keyRevealerRoles.has(authorRole) || ownWriteKey) accept(tx, tx.changes);
        else refuse(tx, "only admins, managers, invites and writeOnly members (their own key) can reveal keys");
        continue;
      }
      case "parent": {
        if (!isAdminLike(authorRole)) {
          refuse(tx, "only admins and managers can set parent groups");
          continue;
        }
        const parent = lookup.group(kind.groupId);
        if (parent === undefined) {
          refuse(tx, "parent group unavailable");
          continue;
        }
        if (parent.isAccount) {
          refuse(tx, "parent is not a group");
          continue;
        }
        if (isSelfExtension(input.id, parent, lookup)) {
          refuse(tx, "parent group would create a cycle");
          continue;
        }
        if (value === "revoked") parents.delete(kind.groupId);
        else parents.set(kind.groupId, { state: parent, mapping: value });
        accept(tx, tx.changes);
        continue;
      }
      case "child":
        refuse(tx, "child extensions are not allowed");
        continue;
      case "writeKeyFor": {
        if (!isAdminLike(authorRole) && authorRole !== "writeOnlyInvite" && kind.member !== author) {
          refuse(tx, "only admins, managers, writeOnly invites and the member can set write keys");
          continue;
        }
        // cojson records the key before the override check, so even a refused override counts.
        writeOnlyKeys.set(kind.member, value);
        if (writeKeys.has(key) && !isAdminLike(authorRole)) {
          refuse(tx, "a write key can't be overridden by an invite");
          continue;
        }
        writeKeys.add(key);
        accept(tx, tx.changes);
        continue;
      }
      case "member":
        break;
    }

    const member = kind.member;
    const verdict = roleChangeVerdict({
      author,
      authorRole,
      member,
      assigned: value,
      initialAdmin,
      memberRole: () => roleAt(member, tx.madeAt),
    });
    if (verdict !== undefined) {
      refuse(tx, verdict);
      continue;
    }
    directRoles.set(member, value);
    accept(tx, tx.changes);
  }

  return { id: input.id, isAccount, initialAdmin, verdicts, entries, parentIds, keyRevelations };
}

export interface RoleChange {
  readonly author: string;
  readonly authorRole: unknown;
  readonly member: string;
  readonly assigned: JsonValue | undefined;
  readonly initialAdmin: CoId | AgentId;
  readonly memberRole: () => unknown;
}

/** Why setting `member`'s role is invalid, or undefined if it is valid (also asked before writing one). */
export function roleChangeVerdict(change: RoleChange): string | undefined {
  const { author, authorRole, member, assigned } = change;
  if (!isRole(assigned)) return "a group change must set a valid role";
  if (member === EVERYONE && !isEveryoneRole(assigned)) return "everyone can only be reader, writer, writeOnly or revoked";
  // The creator's first transaction: the initial admin makes itself admin.
  if (authorRole === undefined && author === change.initialAdmin && member === author && assigned === "admin") return undefined;
  if (author === member && assigned === "revoked") return undefined;
  switch (authorRole) {
    case "admin":
      return change.memberRole() === "admin" && assigned !== "admin" && member !== author
        ? "admins can't demote admins"
        : undefined;
    case "manager":
      if (change.memberRole() === "admin") return "managers can't change admins";
      if (assigned === "admin" || assigned === "adminInvite" || assigned === "managerInvite") {
        return `managers can't grant ${assigned}`;
      }
      return undefined;
    case "adminInvite":
      return assigned === "admin" ? undefined : "adminInvite can only create admins";
    case "managerInvite":
      return assigned === "manager" ? undefined : "managerInvite can only create managers";
    case "writerInvite":
      return assigned === "writer" ? undefined : "writerInvite can only create writers";
    case "readerInvite":
      return assigned === "reader" ? undefined : "readerInvite can only create readers";
    case "writeOnlyInvite":
      return assigned === "writeOnly" ? undefined : "writeOnlyInvite can only create writeOnly members";
    default:
      return "role changes must be made by an admin, manager or invite";
  }
}

/**
 * CoValues a group's transactions refer to and that must be loaded before it is evaluated:
 * parent groups and member accounts (cojson waits for the same set, plus session authors).
 */
export function groupDependencies(transactions: readonly DecodedTransaction[]): Set<CoId> {
  const dependencies = new Set<CoId>();
  for (const tx of transactions) {
    if (tx.privacy !== "trusting") continue;
    for (const change of tx.changes) {
      if (change === null || typeof change !== "object" || Array.isArray(change)) continue;
      if (change.op !== "set" || typeof change.key !== "string") continue;
      const dependency = dependencyOfGroupKey(change.key);
      if (dependency !== undefined) dependencies.add(dependency);
    }
  }
  return dependencies;
}
