import { validateHeader } from "../covalues/header.js";
import { describeValue } from "../errors.js";
import { type CoId, isCoId } from "../ids/co-id.js";
import { isSignature } from "../ids/crypto-strings.js";
import { isSessionId } from "../ids/session-id.js";
import { transactionProblem } from "../log/transaction.js";
import { type Result, err, ok } from "../result.js";

import { MAX_RECONCILE_VALUES, type SyncMessage } from "./messages.js";

/** Why a message from a peer was refused at the boundary. */
export interface ProtocolViolation {
  readonly type: "ProtocolViolation";
  readonly message: string;
  /** The CoValue id, when the message named a valid one. */
  readonly id?: CoId;
}

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

const isCount = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0;

function sessionsProblem(value: unknown, field: string): string | undefined {
  if (!isObject(value)) return `${field} must be an object of session id → count`;
  for (const [sessionId, count] of Object.entries(value)) {
    if (!isSessionId(sessionId)) return `${field} has an invalid session id ${describeValue(sessionId)}`;
    if (!isCount(count)) return `${field}[${sessionId}] must be a non-negative integer, got ${describeValue(count)}`;
  }
  return undefined;
}

function knownStateProblem(message: Fields): string | undefined {
  if (typeof message.header !== "boolean") return `header must be a boolean, got ${describeValue(message.header)}`;
  return sessionsProblem(message.sessions, "sessions");
}

function contentProblem(message: Fields): string | undefined {
  if (message.header !== undefined) {
    const header = validateHeader(message.header);
    if (!header.ok) return header.error;
  }
  if (message.priority !== 0 && message.priority !== 3 && message.priority !== 6) {
    return `priority must be 0, 3 or 6, got ${describeValue(message.priority)}`;
  }
  if (message.expectContentUntil !== undefined) {
    const problem = sessionsProblem(message.expectContentUntil, "expectContentUntil");
    if (problem !== undefined) return problem;
  }
  if (!isObject(message.new)) return "new must be an object of session id → new content";
  for (const [sessionId, piece] of Object.entries(message.new)) {
    if (!isSessionId(sessionId)) return `new has an invalid session id ${describeValue(sessionId)}`;
    if (!isObject(piece)) return `new[${sessionId}] must be an object`;
    if (!isCount(piece.after)) return `new[${sessionId}].after must be a non-negative integer`;
    if (!isSignature(piece.lastSignature)) return `new[${sessionId}].lastSignature is not a signature_z…`;
    if (!Array.isArray(piece.newTransactions)) return `new[${sessionId}].newTransactions must be an array`;
    for (let index = 0; index < piece.newTransactions.length; index++) {
      const problem = transactionProblem(piece.newTransactions[index]);
      if (problem !== undefined) return `new[${sessionId}].newTransactions[${index}]: ${problem}`;
    }
  }
  return undefined;
}

function reconcileProblem(message: Fields): string | undefined {
  if (typeof message.id !== "string" || message.id.length === 0 || message.id.length > 64) {
    return "reconcile id must be a short string";
  }
  if (message.action === "reconcile-ack") return undefined;
  if (!Array.isArray(message.values)) return "reconcile values must be an array";
  // jazz-tools sends batches of 100; more is refused before anything acts on it.
  if (message.values.length > MAX_RECONCILE_VALUES) return `reconcile values must hold at most ${MAX_RECONCILE_VALUES} pairs, got ${message.values.length}`;
  for (const entry of message.values) {
    if (!Array.isArray(entry) || entry.length !== 2 || !isCoId(entry[0]) || typeof entry[1] !== "string") {
      return "reconcile values must be [coId, shortHash] pairs";
    }
  }
  return undefined;
}

/**
 * Turns an untrusted parsed JSON value into a typed sync message, or says precisely what is
 * wrong. Every message from a socket passes through here before anything acts on it.
 */
export function validateSyncMessage(value: unknown): Result<SyncMessage, ProtocolViolation> {
  if (!isObject(value)) return violation(`message must be an object, got ${describeValue(value)}`);
  const action = value.action;
  if (action === "reconcile" || action === "reconcile-ack") {
    const problem = reconcileProblem(value);
    return problem === undefined ? ok(value as unknown as SyncMessage) : violation(problem);
  }
  if (!isCoId(value.id)) return violation(`id must be a CoValue id ("co_z…"), got ${describeValue(value.id)}`);
  const id = value.id;
  let problem: string | undefined;
  switch (action) {
    case "load":
      problem = knownStateProblem(value);
      break;
    case "known":
      problem = knownStateProblem(value);
      if (problem === undefined && value.isCorrection !== undefined && typeof value.isCorrection !== "boolean") {
        problem = "isCorrection must be a boolean";
      }
      break;
    case "content":
      problem = contentProblem(value);
      break;
    case "done":
      problem = undefined;
      break;
    default:
      problem = `unknown action ${describeValue(action)}`;
  }
  return problem === undefined ? ok(value as unknown as SyncMessage) : violation(problem, id);
}

function violation(message: string, id?: CoId): Result<never, ProtocolViolation> {
  return err(id === undefined ? { type: "ProtocolViolation", message } : { type: "ProtocolViolation", message, id });
}

