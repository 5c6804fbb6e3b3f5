/** Cancels a scheduled callback; calling it twice is harmless. */
export type Cancel = () => void;

/** Time as an input: core never reads the wall clock or sets timers itself, so tests drive it. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * `keepAlive`: the timer bounds something an app awaits (a load waiting for a first server), so
   * a Node process must not exit before it fires; other timers never hold a process open.
   */
  setTimeout(callback: () => void, ms: number, options?: { readonly keepAlive?: boolean }): Cancel;
}

/** The real clock, for apps and servers. Timers do not keep a Node process alive unless asked to. */
export function systemClock(): Clock {
  const timers = globalThis as unknown as {
    setTimeout(callback: () => void, ms: number): { unref?: () => void };
    clearTimeout(handle: unknown): void;
    Date: { now(): number };
  };
  return {
    now: () => timers.Date.now(),
    setTimeout(callback, ms, options) {
      const handle = timers.setTimeout(callback, ms);
      if (options?.keepAlive !== true) handle.unref?.();
      return () => timers.clearTimeout(handle);
    },
  };
}

/** A clock tests drive by hand: `advance(ms)` runs due timers in order. */
export interface TestClock extends Clock {
  advance(ms: number): void;
  readonly pendingTimers: number;
}

export function createTestClock(start = 1_700_000_000_000): TestClock {
  let now = start;
  let nextId = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => now,
    setTimeout(callback, ms) {
      const id = nextId++;
      timers.set(id, { at: now + Math.max(0, ms), callback });
      return () => timers.delete(id);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        let due: [number, { at: number; callback: () => void }] | undefined;
        for (const entry of timers) if (entry[1].at <= end && (due === undefined || entry[1].at < due[1].at)) due = entry;
        if (due === undefined) break;
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].callback();
      }
      now = end;
    },
    get pendingTimers() {
      return timers.size;
    },
  };
}
