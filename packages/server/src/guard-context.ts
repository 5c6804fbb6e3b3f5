import type { Clock, ErrorCode, LocalNode, Logger, LogThrottle } from "@cosync/core";
import type { AccountRateLimiter, QuotaLedger, RateBudget, RateLimits } from "./account-limits.js";
import type { MessageTrace } from "./message-trace.js";

/** Per-connection limits a guard enforces. */
export interface GuardLimits {
  readonly maxMessageBytes: number;
  readonly connection: RateLimits | undefined;
  /** Error notices sent per second at most; the rest are counted and summarized in the next one. */
  readonly noticesPerSecond: number;
  /** Bytes of verified content (headers and transactions) one connection may store; undefined: no limit. */
  readonly connectionQuotaBytes: number | undefined;
}

/** Metrics hooks of a guard. */
export interface GuardObserver {
  message(direction: "in" | "out", action: string, bytes: number): void;
  refused(code: ErrorCode): void;
}

/** What all guards of a server share. */
export interface GuardContext {
  readonly clock: Pick<Clock, "now">;
  readonly node: LocalNode;
  readonly logger: Logger;
  readonly accounts: AccountRateLimiter | undefined;
  /** One budget for all connections without an account (limits.unauthenticated). */
  readonly unauthenticated: RateBudget | undefined;
  readonly quota: QuotaLedger | undefined;
  /** Banned account and agent ids; read on every content message, so a caller's Set can change live. */
  readonly bans: ReadonlySet<string> | undefined;
  readonly observer: GuardObserver | undefined;
  /** Close a connection that sends content of a banned owner with CloseCode.Forbidden. */
  readonly closeBanned: boolean;
  /** Largest header (JSON bytes) stored. */
  readonly maxHeaderBytes: number;
  /** Refusal warnings across all connections (each connection's are bounded by its notice budget). */
  readonly refusalLog: LogThrottle;
  /** Logs every message in and out; undefined unless trace logging is on. */
  readonly trace?: MessageTrace | undefined;
}

/** Refuses one message of a connection: notice (throttled), log line and counter. */
export type RefuseInput = (code: ErrorCode, message: string, id?: string, session?: string) => void;
