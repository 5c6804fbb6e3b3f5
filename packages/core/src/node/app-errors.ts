// Errors an application receives from a node, each naming what failed and why, so nothing fails
// silently: a write its role does not allow, a load that cannot succeed, a server's refusal, a
// sync that did not happen in time, a node used after close.
import type { CoId } from "../ids/co-id.js";
import type { ErrorCode } from "../protocol/messages.js";

/** Thrown when our role does not allow a write or a group change (cojson would drop it on read). */
export class PermissionError extends Error {
  override readonly name = "PermissionError";
}

/** A server refused content of a value: the write does not count there. */
export class SyncRefusedError extends Error {
  override readonly name = "SyncRefusedError";
  constructor(
    readonly refusal: SyncRefusal,
  ) {
    super(`${refusal.peerId} refused ${refusal.id ?? "a message"} (${refusal.code}): ${refusal.message}`);
  }
  get code(): ErrorCode {
    return this.refusal.code;
  }
}

/** What a peer's error notice said, and who sent it. */
export interface SyncRefusal {
  readonly peerId: string;
  readonly code: ErrorCode;
  readonly message: string;
  readonly id?: CoId;
  readonly session?: string;
}

/** `waitForSync({ timeoutMs })` ran out before every server acknowledged the value. */
export class SyncTimeoutError extends Error {
  override readonly name = "SyncTimeoutError";
}

/** A typed load found nothing (or nothing of that type); `reason` says why. */
export class UnavailableError extends Error {
  override readonly name = "UnavailableError";
  constructor(
    readonly id: CoId,
    readonly reason: string,
  ) {
    super(`${id} is unavailable: ${reason}`);
  }
}

/** The node was closed: it takes no more writes or loads. */
export class NodeClosedError extends Error {
  override readonly name = "NodeClosedError";
}
