/**
 * The sync messages of cojson 0.20 (docs/protocol.md), plus cosync's `done` usage and error notice.
 *
 * - `load`: "subscribe me, here is what I have" — always answered with content and/or `known`.
 * - `known`: what the sender holds; `isCorrection` asks the receiver to resend from there.
 * - `content`: new transactions per session, `after` = how many the receiver already has.
 * - `done`: the sender has sent everything the receiver asked for (cojson ignores it).
 * - `reconcile` / `reconcile-ack`: full storage reconciliation batches of jazz-tools clients.
 */
import type { CoValueHeader, Priority } from "../covalues/header.js";
import type { CoId } from "../ids/co-id.js";
import type { ShortHash, Signature } from "../ids/crypto-strings.js";
import type { SessionId } from "../ids/session-id.js";
import type { Transaction } from "../log/transaction.js";
import type { KnownSessions, KnownState } from "../sync/known-state.js";

export interface LoadMessage extends KnownState {
  readonly action: "load";
}

export interface KnownMessage extends KnownState {
  readonly action: "known";
  readonly isCorrection?: boolean;
  readonly asDependencyOf?: CoId;
}

/** New transactions of one session; `lastSignature` signs the chain up to the last of them. */
export interface SessionNewContent {
  readonly after: number;
  readonly newTransactions: readonly Transaction[];
  readonly lastSignature: Signature;
}

export interface ContentMessage {
  readonly action: "content";
  readonly id: CoId;
  readonly header?: CoValueHeader;
  readonly priority: Priority;
  readonly new: Readonly<Record<SessionId, SessionNewContent>>;
  /** Streaming target: what the sender will have sent once every piece arrived. */
  readonly expectContentUntil?: KnownSessions;
}

export interface DoneMessage {
  readonly action: "done";
  readonly id: CoId;
}

/** Values per `reconcile` batch at most (jazz-tools sends 100; validation refuses more). */
export const MAX_RECONCILE_VALUES = 100;

export interface ReconcileMessage {
  readonly action: "reconcile";
  readonly id: string;
  readonly values: ReadonlyArray<readonly [CoId, ShortHash]>;
}

export interface ReconcileAckMessage {
  readonly action: "reconcile-ack";
  readonly id: string;
}

export type SyncMessage =
  | LoadMessage
  | KnownMessage
  | ContentMessage
  | DoneMessage
  | ReconcileMessage
  | ReconcileAckMessage;

/**
 * cosync's error notice. It travels as a frame entry without `action` (and without `time`), which
 * cojson clients drop silently (docs/protocol.md, "Error notices"), so it is safe to send to anyone over WebSocket.
 */
export interface ErrorNotice {
  readonly error: {
    readonly code: ErrorCode;
    readonly message: string;
    readonly id?: string;
    readonly session?: string;
  };
}

export type ErrorCode =
  | "MalformedMessage"
  | "InvalidHeader"
  | "InvalidTransaction"
  | "InvalidSignature"
  | "UnknownSigner"
  | "Gap"
  | "TooLarge"
  | "RateLimited"
  | "QuotaExceeded"
  | "Forbidden"
  | "StorageFailure"
  | "Deleted"
  | "Conflict";
