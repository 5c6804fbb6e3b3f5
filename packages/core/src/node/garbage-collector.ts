import type { CoId } from "../ids/co-id.js";
import type { Cancel } from "../time/clock.js";
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
    const dependedOn = new Set<CoId>();
    const idle = [];
    for (const entry of node.allEntries()) {
      if (entry.log === undefined) continue;
      const busy =
        entry.lastAccessed > cutoff ||
        entry.listeners.size > 0 ||
        entry.pendingStorageWrites > 0 ||
        entry.parked.length > 0 ||
        entry.loading !== undefined ||
        node.syncManager.unsynced.has(entry.id);
      if (busy) for (const dependency of dependenciesOf(entry.log)) dependedOn.add(dependency);
      else idle.push(entry);
    }
    let unloaded = 0;
    for (const entry of idle) {
      if (dependedOn.has(entry.id) || entry.log === undefined) continue;
      entry.lastKnown = entry.log.knownState();
      entry.log = undefined;
      entry.state = "unloaded";
      unloaded++;
    }
    if (unloaded > 0) node.syncManager.events.unloaded?.(unloaded);
    return unloaded;
  }
}
