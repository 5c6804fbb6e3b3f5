import type { CoId, KnownSessions } from "@cosync/core";

/**
 * A fan-out channel between the server processes sharing one database. It carries only small
 * notices ("process P committed value X up to these counts"), never content: the database is the
 * source of truth, and a process that misses notices catches up from it (cluster-link.ts).
 * Delivery is at most once and may lose messages while disconnected; implementations reconnect
 * by themselves and report it through `onStatus`.
 */
export interface ClusterBus {
  /** "nats" or "postgres", for logs and metrics. */
  readonly kind: string;
  /** Whether messages published now are expected to arrive. */
  readonly connected: boolean;
  /** Sends to every other process (and, harmlessly, to this one). Never throws; false if dropped. */
  publish(payload: string): boolean;
  onMessage(listener: (payload: string) => void): void;
  /** Called on each change of `connected` (a reconnect means notices may have been missed). */
  onStatus(listener: (connected: boolean) => void): void;
  close(): Promise<void>;
}

/** One committed append: the value and, per session, how far it is now stored. */
export interface CommitNotice {
  readonly id: CoId;
  readonly sessions: KnownSessions;
}

/** A bus message: who sent it, when (ms since the epoch, for the lag metric) and what it committed. */
export interface BusMessage {
  readonly origin: string;
  readonly sentAt: number;
  readonly notices: readonly CommitNotice[];
}

// Postgres refuses NOTIFY payloads of 8,000 bytes or more; NATS has no such limit but small
// messages keep its fan-out cheap. Batches are cut below this.
export const MAX_PAYLOAD_BYTES = 7000;

/** Encodes notices into as few messages as fit `MAX_PAYLOAD_BYTES` each (an empty list: one heartbeat). */
export function encodeBusMessages(origin: string, sentAt: number, notices: readonly CommitNotice[]): string[] {
  const prefix = `{"origin":${JSON.stringify(origin)},"sentAt":${sentAt},"notices":[`;
  const payloads: string[] = [];
  let parts: string[] = [];
  let size = prefix.length + 2;
  for (const notice of notices) {
    const text = JSON.stringify({ id: notice.id, sessions: notice.sessions });
    if (parts.length > 0 && size + text.length + 1 > MAX_PAYLOAD_BYTES) {
      payloads.push(`${prefix}${parts.join(",")}]}`);
      parts = [];
      size = prefix.length + 2;
    }
    parts.push(text);
    size += text.length + 1;
  }
  if (parts.length > 0 || payloads.length === 0) payloads.push(`${prefix}${parts.join(",")}]}`);
  return payloads;
}

/** Decodes a bus message; undefined for anything malformed (a foreign publisher on the subject). */
export function decodeBusMessage(payload: string): BusMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== "object") return undefined;
  const { origin, sentAt, notices } = parsed as Record<string, unknown>;
  if (typeof origin !== "string" || typeof sentAt !== "number" || !Array.isArray(notices)) return undefined;
  const valid: CommitNotice[] = [];
  for (const notice of notices as unknown[]) {
    if (notice === null || typeof notice !== "object") continue;
    const { id, sessions } = notice as Record<string, unknown>;
    if (typeof id !== "string" || !id.startsWith("co_z") || sessions === null || typeof sessions !== "object") continue;
    valid.push({ id: id as CoId, sessions: sessions as KnownSessions });
  }
  return { origin, sentAt, notices: valid };
}
