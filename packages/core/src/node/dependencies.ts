import type { CoId } from "../ids/co-id.js";
import { sessionOwner } from "../ids/session-id.js";
import type { VerifiedLog } from "../log/verified-log.js";
import { branchSourceOf } from "./branch-transactions.js";

const GROUP_DEPENDENCY = /^(?:parent_)?(co_z[1-9A-HJ-NP-Za-km-z]+)$/;

/**
 * CoValues that must be known before `log` can be verified or read, in the order a receiver
 * needs them: the owning group, accounts that wrote sessions, and for groups the parent groups
 * and member accounts named by its keys (cojson 0.20's dependencies).
 */
export function dependenciesOf(log: VerifiedLog): CoId[] {
  const found = new Set<CoId>();
  const ruleset = log.header.ruleset;
  if (ruleset.type === "ownedByGroup") found.add(ruleset.group);
  // A branch reads its source's transactions (cojson tracks the same dependency).
  const source = branchSourceOf(log.header);
  if (source !== undefined) found.add(source);
  if (ruleset.type === "group") {
    for (const session of log.sessions.values()) {
      for (const tx of session.transactions) {
        if (tx.privacy !== "trusting") continue;
        for (const key of setKeysOf(tx.changes)) {
          const match = GROUP_DEPENDENCY.exec(key);
          if (match?.[1] !== undefined) found.add(match[1] as CoId);
        }
      }
    }
  }
  for (const sessionId of log.sessions.keys()) {
    const owner = sessionOwner(sessionId);
    if (owner.startsWith("co_z")) found.add(owner as CoId);
  }
  found.delete(log.id);
  return [...found];
}

// Group transactions are single `set` changes; we only need their keys, so a failed parse is
// simply "no keys" (such a transaction is invalid for readers anyway).
function setKeysOf(changes: string): string[] {
  if (!changes.includes('"key"')) return [];
  try {
    const parsed = JSON.parse(changes) as unknown;
    if (!Array.isArray(parsed)) return [];
    const keys: string[] = [];
    for (const change of parsed) {
      const key = (change as { key?: unknown } | null)?.key;
      if (typeof key === "string") keys.push(key);
    }
    return keys;
  } catch {
    return [];
  }
}
