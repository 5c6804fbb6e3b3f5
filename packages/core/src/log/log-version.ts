import type { SessionLog } from "./session-log.js";
import type { VerifiedLog } from "./verified-log.js";

/**
 * What a verified log held at one moment, cheap to compare with it later (for caches of what is
 * derived from a log). A session log only ever appends and a deletion drops whole session logs,
 * so the same session logs holding the same number of transactions, as many of them signed, mean
 * the same content.
 */
export class LogVersion {
  readonly #sessions: readonly SessionLog[];
  readonly #counts: readonly number[];
  readonly #signedCounts: readonly number[];

  constructor(log: VerifiedLog) {
    this.#sessions = [...log.sessions.values()];
    this.#counts = this.#sessions.map((session) => session.count);
    this.#signedCounts = this.#sessions.map((session) => session.signedCount);
  }

  /** True while `log` holds exactly what it held when this version was taken. */
  matches(log: VerifiedLog): boolean {
    if (log.sessions.size !== this.#sessions.length) return false;
    let index = 0;
    for (const session of log.sessions.values()) {
      if (session !== this.#sessions[index] || session.count !== this.#counts[index] || session.signedCount !== this.#signedCounts[index]) return false;
      index++;
    }
    return true;
  }
}
