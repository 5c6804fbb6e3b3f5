import type { CoId } from "../ids/co-id.js";
import type { ErrorCode } from "../protocol/messages.js";
import type { KnownSessions } from "./known-state.js";

/**
 * Hooks for metrics. Every field optional; the server wires them to Prometheus counters.
 * Called synchronously on the sync path, so implementations must be cheap.
 */
export interface SyncEvents {
  messageIn?(peerId: string, action: string): void;
  messageOut?(peerId: string, action: string): void;
  rejected?(peerId: string, code: ErrorCode): void;
  /** Milliseconds from receiving content to sending its durable ack. */
  ackLatency?(ms: number): void;
  storageLatency?(ms: number): void;
  /** A storage append committed (storage works again after a failure). */
  storageSucceeded?(): void;
  /** A storage call on the sync path failed (the value's peers were told; nothing was applied). */
  storageFailed?(error: unknown): void;
  unloaded?(count: number): void;
  /**
   * An append of `id` committed: each session now stored up to at least the count given (a
   * header-only append names none). Other server processes sharing the storage learn of it from
   * this (a cluster bus); called once per committed append, after the commit, before its ack.
   */
  committed?(id: CoId, sessions: KnownSessions): void;
}
