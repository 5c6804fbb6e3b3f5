// The evaluated state of a group or account: which of its transactions are valid, the map its
// valid changes build, and the questions cojson's `RawGroup` answers about it ("what is X's role
// at time t", "which parents are active"). Plain data plus pure functions over it; other groups are
// reached only through a `GroupLookup` the caller provides.

import type { JsonValue } from "../encoding/canonical-json.js";
import type { AgentId } from "../ids/agent-id.js";
import type { CoId } from "../ids/co-id.js";
import type { SessionOwner } from "../ids/session-id.js";
import type { TxId } from "../covalues/decoded-transaction.js";
import { isMemberKey } from "./group-keys.js";
import { EVERYONE, inheritsOver, isInheritableRole, type Role } from "./roles.js";

/** One valid change of one key. */
export interface GroupEntry {
  readonly txId: TxId;
  readonly madeAt: number;
  /** Author of the transaction (account or agent of its session). */
  readonly by: SessionOwner;
  /** The value set; undefined for a `del` (possible only in accounts' private transactions). */
  readonly value: JsonValue | undefined;
}

/** cojson's verdict on one transaction of a group or account. */
export interface TransactionVerdict {
  readonly txId: TxId;
  readonly author: SessionOwner;
  readonly madeAt: number;
  readonly valid: boolean;
  /** Why it is invalid (absent when valid). */
  readonly reason?: string;
}

export interface GroupState {
  readonly id: CoId;
  /** Accounts are groups with `meta.type === "account"`; they are admin of themselves. */
  readonly isAccount: boolean;
  /** `header.ruleset.initialAdmin`: the creator's account, or the agent for an account. */
  readonly initialAdmin: CoId | AgentId;
  /** Every transaction in evaluation order (`sortForEvaluation`: madeAt, session id, index), with its verdict. */
  readonly verdicts: readonly TransactionVerdict[];
  /** The valid changes per key in evaluation order: the last one at or before a time is the value. */
  readonly entries: ReadonlyMap<string, readonly GroupEntry[]>;
  /** Every group ever validly linked as parent, in order of first link (revoked ones included). */
  readonly parentIds: readonly CoId[];
  /** Key-for-key reveals: revealed key id → the key ids it is encrypted to, in order of appearance. */
  readonly keyRevelations: ReadonlyMap<string, readonly string[]>;
}

/** How evaluation and role queries reach other groups (parents). Provided by the LocalNode. */
export interface GroupLookup {
  /** The evaluated state of a group or account, or undefined if it is not loaded. */
  group(id: CoId): GroupState | undefined;
}

/** The last valid change of `key` made at or before `atTime` (any time if omitted). */
export function lastEntry(state: GroupState, key: string, atTime?: number): GroupEntry | undefined {
  const entries = state.entries.get(key);
  if (entries === undefined) return undefined;
  if (atTime === undefined) return entries[entries.length - 1];
  for (let index = entries.length - 1; index >= 0; index--) {
    const entry = entries[index] as GroupEntry;
    if (entry.madeAt <= atTime) return entry;
  }
  return undefined;
}

/** The value of `key` at `atTime` (now if omitted), as cojson's `group.get` / `atTime(t).get`. */
export function groupValue(state: GroupState, key: string, atTime?: number): JsonValue | undefined {
  return lastEntry(state, key, atTime)?.value;
}

function stringValue(state: GroupState, key: string, atTime?: number): string | undefined {
  const value = groupValue(state, key, atTime);
  return typeof value === "string" ? value : undefined;
}

/** Keys with a value at `atTime` (now if omitted), in order of first appearance. */
export function groupKeys(state: GroupState, atTime?: number): string[] {
  const keys: string[] = [];
  for (const key of state.entries.keys()) {
    if (groupValue(state, key, atTime) !== undefined) keys.push(key);
  }
  return keys;
}

/** Accounts and agents with any role (including revoked) at `atTime` (cojson `getMemberKeys`). */
export function memberKeys(state: GroupState, atTime?: number): string[] {
  return groupKeys(state, atTime).filter(isMemberKey);
}

/** The role set directly on `member`, ignoring parents and `everyone`. */
export function directRole(state: GroupState, member: string, atTime?: number): Role | undefined {
  return stringValue(state, member, atTime) as Role | undefined;
}

/** Parents whose link at `atTime` is set and not revoked (cojson `getParentGroups`). */
export function activeParentIds(state: GroupState, atTime?: number): CoId[] {
  return state.parentIds.filter((id) => {
    const link = groupValue(state, `parent_${id}`, atTime);
    return Boolean(link) && link !== "revoked";
  });
}

/**
 * The role of `member` at `atTime` (now if omitted), as cojson's `roleOf` / `atTime(t).roleOf`:
 * the direct role (revoked counts as none), replaced by a role inherited from an active parent
 * when `inheritsOver` says so (parents are read at the same time), else the role of `everyone`.
 * An account is admin of itself. Parents the lookup does not know are skipped.
 */
export function roleOf(state: GroupState, member: string, lookup: GroupLookup, atTime?: number): Role | undefined {
  return roleOfGuarded(state, member, lookup, atTime, new Set());
}

function roleOfGuarded(
  state: GroupState,
  member: string,
  lookup: GroupLookup,
  atTime: number | undefined,
  visiting: Set<CoId>,
): Role | undefined {
  if (state.isAccount && member === state.id) return "admin";
  let role: unknown = groupValue(state, member, atTime);
  if (role === "revoked") role = undefined;
  // Valid state never holds a parent cycle, but states come from outside: never loop.
  visiting.add(state.id);
  for (const parentId of state.parentIds) {
    const link = groupValue(state, `parent_${parentId}`, atTime);
    if (!link || link === "revoked") continue;
    const parent = lookup.group(parentId);
    if (parent === undefined || visiting.has(parentId)) continue;
    const parentRole = roleOfGuarded(parent, member, lookup, atTime, visiting);
    if (!isInheritableRole(parentRole)) continue;
    const inherited = link !== "extend" ? link : parentRole;
    if (inheritsOver(inherited, role)) role = inherited;
  }
  visiting.delete(state.id);
  if (!role && member !== EVERYONE) {
    const everyone = groupValue(state, EVERYONE, atTime);
    if (everyone && everyone !== "revoked") return everyone as Role;
  }
  return (role || undefined) as Role | undefined;
}

/** The verdict of one transaction, by its id. */
export function verdictOf(state: GroupState, txId: TxId): TransactionVerdict | undefined {
  return state.verdicts.find((verdict) => verdict.txId.sessionID === txId.sessionID && verdict.txId.txIndex === txId.txIndex);
}
