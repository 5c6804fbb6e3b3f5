// One pass over a store's summaries (no transactions read): which values it holds, how many
// transactions each session has, which are groups or accounts and which are tombstoned. Copies
// use it to put accounts first (their headers name the signers of everything else), then groups,
// to size their progress bars, and to check counts at the end.
import type { CoId, KnownState, SessionId, StorageAdapter } from "@cosync/core";
import { allIds, type OperatorStore } from "./open-store.js";
import { type StopSignal, StoppedError } from "./stop-signal.js";

export interface ScannedValue {
  readonly id: CoId;
  readonly sessions: Readonly<Record<SessionId, number>>;
  readonly transactions: number;
  readonly deleted: boolean;
}

export interface StoreScan {
  /** Accounts first (they sign everything, groups included), then groups, then the rest; each part in id order. */
  readonly values: readonly ScannedValue[];
  readonly sessions: number;
  readonly transactions: number;
}

export async function scanStore(storage: OperatorStore["storage"], stop?: StopSignal): Promise<StoreScan> {
  const accounts: ScannedValue[] = [];
  const groups: ScannedValue[] = [];
  const others: ScannedValue[] = [];
  let sessionCount = 0;
  let transactionCount = 0;
  for await (const id of allIds(storage)) {
    if (stop?.requested !== undefined) throw new StoppedError(`stopped by ${stop.requested} while scanning`);
    const summary = await storage.summary(id);
    if (summary === undefined) continue; // erased between listing and reading
    const sessions: Record<SessionId, number> = {};
    let transactions = 0;
    for (const [sessionId, session] of Object.entries(summary.sessions) as [SessionId, { count: number }][]) {
      sessions[sessionId] = session.count;
      transactions += session.count;
    }
    const value = { id, sessions, transactions, deleted: await storage.isDeleted(id) };
    const isGroup = summary.header.ruleset.type === "group";
    (isGroup && summary.header.meta?.type === "account" ? accounts : isGroup ? groups : others).push(value);
    sessionCount += Object.keys(sessions).length;
    transactionCount += transactions;
  }
  return { values: [...accounts, ...groups, ...others], sessions: sessionCount, transactions: transactionCount };
}

/** True if `target` holds at least every transaction `value` counts (a copy needs nothing more). */
export function covers(target: KnownState | undefined, value: ScannedValue): boolean {
  if (target === undefined) return false;
  for (const [sessionId, count] of Object.entries(value.sessions) as [SessionId, number][]) {
    if ((target.sessions[sessionId] ?? 0) < count) return false;
  }
  return true;
}

/** Values of `scan` the target lacks something of; empty when the copy is complete. */
export async function missingFrom(target: StorageAdapter, scan: StoreScan): Promise<CoId[]> {
  const missing: CoId[] = [];
  for (const value of scan.values) if (!covers(await target.knownState(value.id), value)) missing.push(value.id);
  return missing;
}
