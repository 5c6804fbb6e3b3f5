import { base58DecodedLength } from "../encoding/base58.js";
import { describeValue, FormatError } from "../errors.js";
import { type AgentId, agentIdProblem, sealerIdFormat, signerIdFormat } from "./agent-id.js";
import { type CoId, coIdFormat } from "./co-id.js";
import { base58FormatProblem, maxFormatLength, RememberedValid } from "./prefixed.js";

/** Who writes in a session: an account (by CoValue id) or a bare agent. */
export type SessionOwner = CoId | AgentId;
/** An ordinary session: `<owner>_session_z<base58 of 8 random bytes>`. */
export type ActiveSessionId = `${SessionOwner}_session_z${string}`;
/** A delete session: `<owner>_session_d<base58 of 7 random bytes>$`. */
export type DeleteSessionId = `${SessionOwner}_session_d${string}$`;
export type SessionId = ActiveSessionId | DeleteSessionId;

const marker = "_session_";

/**
 * Longer than any session id could be (the longest owner, the marker, "z" and a generous bound for
 * the random part). Checked first: the random part is decoded (quadratic in its length), and the
 * owner, a slice of the whole id, is remembered once found valid (keeping all of the id alive).
 */
const MAX_SESSION_ID_LENGTH =
  Math.max(maxFormatLength(coIdFormat), maxFormatLength(sealerIdFormat) + 1 + maxFormatLength(signerIdFormat)) +
  marker.length +
  maxFormatLength({ name: "session random part", prefix: "z", byteLength: 8 }) +
  1;

export interface ParsedSessionId {
  readonly owner: SessionOwner;
  readonly ownerKind: "account" | "agent";
  readonly kind: "active" | "delete";
}

/** Parses a session id into its owner and kind, or returns why it is malformed. */
export function parseSessionIdParts(value: unknown): ParsedSessionId | { readonly problem: string } {
  if (typeof value !== "string") return { problem: `expected a session id string, got ${describeValue(value)}` };
  if (value.length > MAX_SESSION_ID_LENGTH) return { problem: `session id ${describeValue(value)} is too long` };
  const at = value.lastIndexOf(marker);
  if (at < 0) return { problem: `session id ${describeValue(value)} has no "${marker}" part` };
  const owner = value.slice(0, at);
  const suffix = value.slice(at + marker.length);
  const ownerKind = owner.startsWith("co_z") ? "account" : "agent";
  const ownerProblem = ownerKind === "account" ? base58FormatProblem(owner, coIdFormat) : agentIdProblem(owner);
  if (ownerProblem !== undefined) return { problem: `session id owner: ${ownerProblem}` };
  let kind: "active" | "delete";
  let random: string;
  let expectedBytes: number;
  if (suffix.startsWith("z")) {
    kind = "active";
    random = suffix.slice(1);
    expectedBytes = 8;
  } else if (suffix.startsWith("d") && suffix.endsWith("$")) {
    kind = "delete";
    random = suffix.slice(1, -1);
    expectedBytes = 7;
  } else {
    return { problem: `session id ${describeValue(value)} must end in "_session_z…" or "_session_d…$"` };
  }
  if (base58DecodedLength(random) !== expectedBytes) {
    return { problem: `session id ${describeValue(value)}: random part must be base58 of ${expectedBytes} bytes` };
  }
  return { owner: owner as SessionOwner, ownerKind, kind };
}

// The same few sessions recur in every message (each piece's key, each known state's keys):
// remember those found valid, as ids are (ids/prefixed.ts), instead of re-parsing them each time.
const validSessions = new RememberedValid();

export function isSessionId(value: unknown): value is SessionId {
  if (typeof value === "string" && validSessions.has(value)) return true;
  if ("problem" in parseSessionIdParts(value)) return false;
  validSessions.add(value as string);
  return true;
}

export function parseSessionId(value: unknown, argument = "sessionId"): SessionId {
  const parts = parseSessionIdParts(value);
  if ("problem" in parts) throw new FormatError(`${argument}: ${parts.problem}`);
  return value as SessionId;
}

/** True for delete sessions (cojson checks only the trailing `$`). */
export function isDeleteSessionId(sessionId: string): boolean {
  return sessionId.charCodeAt(sessionId.length - 1) === 36; // "$"
}

/** The account or agent that owns a session (no validation: use on already-parsed ids). */
export function sessionOwner(sessionId: SessionId): SessionOwner {
  return sessionId.slice(0, sessionId.lastIndexOf(marker)) as SessionOwner;
}
