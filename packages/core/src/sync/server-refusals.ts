import { describeValue } from "../errors.js";
import { isCoId } from "../ids/co-id.js";
import { type SyncRefusal, SyncRefusedError } from "../node/app-errors.js";
import type { ErrorCode } from "../protocol/messages.js";
import type { Logger } from "./logger.js";

const CODES: ReadonlySet<string> = new Set<ErrorCode>([
  "MalformedMessage",
  "InvalidHeader",
  "InvalidTransaction",
  "InvalidSignature",
  "UnknownSigner",
  "Gap",
  "TooLarge",
  "RateLimited",
  "QuotaExceeded",
  "Forbidden",
  "StorageFailure",
  "Deleted",
  "Conflict",
]);

/**
 * Refusals that pass on their own, so they don't fail waitForSync: the sync resends from the
 * server's known state (Gap), later (RateLimited, StorageFailure), or once the signer's account
 * arrived (UnknownSigner).
 */
const TRANSIENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["Gap", "RateLimited", "StorageFailure", "UnknownSigner"]);

const MAX_MESSAGE = 500;

/** A peer's error notice as a refusal, or why it isn't one (notices are untrusted input too). */
export function refusalFromNotice(peerId: string, notice: unknown): SyncRefusal | string {
  const error = (notice as { error?: unknown } | null)?.error;
  if (error === null || typeof error !== "object") return `a notice without an error object: ${describeValue(notice)}`;
  const { code, message, id, session } = error as Record<string, unknown>;
  if (typeof code !== "string" || !CODES.has(code)) return `a notice with an unknown code ${describeValue(code)}`;
  if (typeof message !== "string") return `a notice without a message (${code})`;
  if (id !== undefined && !isCoId(id)) return `a notice naming ${describeValue(id)}, not a CoValue id`;
  return {
    peerId,
    code: code as ErrorCode,
    message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message,
    ...(id === undefined ? {} : { id }),
    ...(typeof session === "string" ? { session: session.slice(0, 200) } : {}),
  };
}

/**
 * What the application hears of peers' refusals: every listener gets each one; a lasting
 * refusal of a value's content also fails that value's `waitForSync` (see UnsyncedTracker).
 */
export class ServerRefusals {
  readonly #listeners = new Set<(refusal: SyncRefusal) => void>();

  constructor(
    private readonly logger: Logger,
    private readonly failSync: (id: SyncRefusal["id"] & string, error: SyncRefusedError) => void,
  ) {}

  listen(listener: (refusal: SyncRefusal) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  received(peerId: string, fromServer: boolean, notice: unknown): void {
    const refusal = refusalFromNotice(peerId, notice);
    if (typeof refusal === "string") {
      this.logger.warn({ peer: peerId }, `ignored ${refusal}`);
      return;
    }
    this.logger.warn({ peer: peerId, code: refusal.code, id: refusal.id, session: refusal.session }, `peer refused: ${refusal.message}`);
    if (fromServer && refusal.id !== undefined && !TRANSIENT.has(refusal.code)) this.failSync(refusal.id, new SyncRefusedError(refusal));
    for (const listener of [...this.#listeners]) {
      try {
        listener(refusal);
      } catch (error) {
        this.logger.error({ err: error }, "a refusal listener threw");
      }
    }
  }
}
