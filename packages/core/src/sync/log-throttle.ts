/**
 * At most `perSecond` log lines per window of one second; the rest are counted and the count is
 * handed to the next line that may be written. A peer can make us refuse as fast as it can send,
 * and each refusal must not cost a log line (a log flood is a disk and CPU flood).
 */
export class LogThrottle {
  readonly #perSecond: number;
  #windowStart = Number.NEGATIVE_INFINITY;
  #written = 0;
  #suppressed = 0;

  constructor(perSecond = 10) {
    this.#perSecond = perSecond;
  }

  /** Undefined if this line must be dropped, else how many were dropped since the last one written. */
  admit(now: number): number | undefined {
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#written = 0;
    }
    if (this.#written >= this.#perSecond) {
      this.#suppressed++;
      return undefined;
    }
    this.#written++;
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    return suppressed;
  }
}
