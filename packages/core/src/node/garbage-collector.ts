import type { CoId } from "../ids/co-id.js";
import type { Cancel } from "../time/clock.js";
import type { CoValueEntry } from "./co-value-entry.js";
import { dependenciesOf } from "./dependencies.js";
import type { LocalNode } from "./local-node.js";

/** When idle values are unloaded (the seed's numbers: every 60 s, idle for 5 min). */
export interface GcOptions {
  readonly intervalMs?: number;
  readonly idleMs?: number;
}

const defaults = { intervalMs: 60_000, idleMs: 5 * 60_000 };

/**
 * Unloads CoValues nobody used for `idleMs`: never one with listeners, with values in memory
 * that depend on it, with unsynced changes or pending storage writes, and only when it can be
 * brought back (from storage). An unloaded value keeps its known state so `load` replies stay exact.
 */
export class GarbageCollector {
  readonly #node: LocalNode;
  readonly #intervalMs: number;
  readonly #idleMs: number;
  #cancel: Cancel | undefined;

  constructor(node: LocalNode, options: GcOptions = {}) {
    this.#node = node;
    this.#intervalMs = options.intervalMs ?? defaults.intervalMs;
    this.#idleMs = options.idleMs ?? defaults.idleMs;
    this.#schedule();
  }

  #schedule(): void {
    this.#cancel = this.#node.clock.setTimeout(() => {
      this.collect();
      this.#schedule();
    }, this.#intervalMs);
  }

  stop(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }

  collect(): number {
    const node = this.#node;
    if (node.storage === undefined) return 0;
    const cutoff = node.clock.now() - this.#idleMs;
    const busy: CoValueEntry[] = [];
    const idle: CoValueEntry[] = [];
    for (const entry of node.allEntries()) {
      if (entry.log === undefined) continue;
      const inUse =
        entry.lastAccessed > cutoff ||
        entry.listeners.size > 0 ||
        entry.pendingStorageWrites > 0 ||
        entry.parked.size > 0 ||
        entry.loading !== undefined ||
        node.syncManager.unsynced.has(entry.id);
      (inUse ? busy : idle).push(entry);
    }
    // Everything a value in use depends on, transitively (owner group, its parents, the accounts
    // whose reveals give the keys): reading or writing it needs them all in memory.
    const needed = new Set<CoId>();
    const queue = [...busy];
    for (let entry = queue.pop(); entry !== undefined; entry = queue.pop()) {
      for (const dependency of dependenciesOf(entry.log as NonNullable<CoValueEntry["log"]>)) {
        if (needed.has(dependency)) continue;
        needed.add(dependency);
        const dependencyEntry = node.peekEntry(dependency);
        if (dependencyEntry?.log !== undefined) queue.push(dependencyEntry);
      }
    }
    let unloaded = 0;
    let groupUnloaded = false;
    for (const entry of idle) {
      if (needed.has(entry.id) || entry.log === undefined) continue;
      groupUnloaded ||= entry.log.header.ruleset.type === "group";
      entry.lastKnown = entry.log.knownState();
      entry.log = undefined;
      entry.contentCache = undefined;
      node.permissions.forget(entry.id);
      entry.state = "unloaded";
      unloaded++;
    }
    // Which groups are in memory is an input of every permission verdict.
    if (groupUnloaded) node.groupsVersion++;
    if (unloaded > 0) node.syncManager.events.unloaded?.(unloaded);
    return unloaded;
  }
}
