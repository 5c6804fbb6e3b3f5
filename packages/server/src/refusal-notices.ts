import type { ErrorCode, ErrorNotice, PeerChannel } from "@cosync/core";
import type { GuardContext } from "./guard-context.js";
import { messageBytes } from "./message-size.js";
import { TokenBucket } from "./token-bucket.js";

/**
 * The error notices one connection is sent, within a budget of `perSecond`: a flood of bad input
 * must not turn into a flood of notices. The guard's refusals and core's own notices share the
 * budget; refusals over it are still counted and logged (at debug), and the next refusal that gets
 * through says how many were suppressed.
 */
export class RefusalNotices {
  readonly #channel: PeerChannel;
  readonly #ctx: Pick<GuardContext, "clock" | "logger" | "observer" | "refusalLog">;
  readonly #budget: TokenBucket;
  #suppressed = 0;

  constructor(channel: PeerChannel, ctx: Pick<GuardContext, "clock" | "logger" | "observer" | "refusalLog">, perSecond: number) {
    this.#channel = channel;
    this.#ctx = ctx;
    this.#budget = new TokenBucket({ perSecond }, ctx.clock);
  }

  /** Sends a refusal notice (throttled), counts and logs it. */
  refuse(code: ErrorCode, message: string, id?: string, session?: string): void {
    this.#ctx.observer?.refused(code);
    const error: { code: ErrorCode; message: string; id?: string; session?: string } = { code, message };
    if (id !== undefined) error.id = id;
    if (session !== undefined) error.session = session;
    const peer = this.#channel.peerId;
    if (!this.#budget.take(1)) {
      this.#suppressed++;
      this.#ctx.logger.debug({ peer, ...error }, "refused input from peer (notice suppressed)");
      return;
    }
    if (this.#suppressed > 0) {
      error.message = `${message} (${this.#suppressed} more refusals since the last notice)`;
      this.#suppressed = 0;
    }
    const logged = this.#ctx.refusalLog.admit(this.#ctx.clock.now());
    if (logged !== undefined) this.#ctx.logger.warn({ peer, ...error, ...(logged > 0 ? { suppressedBefore: logged } : {}) }, "refused input from peer");
    if (this.#channel.acceptsErrorNotices) this.#channel.send({ error } as ErrorNotice);
  }

  /** Passes on an error notice of core's, within the same budget (suppressed ones count towards the next summary). */
  forward(notice: ErrorNotice): void {
    if (!this.#budget.take(1)) {
      this.#suppressed++;
      return;
    }
    this.#ctx.observer?.message("out", "error", messageBytes(notice));
    this.#channel.send(notice);
  }
}
