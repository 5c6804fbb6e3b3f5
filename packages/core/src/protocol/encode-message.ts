import type { SessionNewContent } from "./messages.js";

// A piece cut from a log carries transactions whose canonical JSON the log already holds (it was
// hashed when they arrived). Encoding the piece from those texts skips re-serialising every
// transaction object: for a 50-transaction message, most of the work of encoding it.
const transactionTexts = new WeakMap<SessionNewContent, readonly string[]>();

/**
 * Remembers the canonical JSON of `piece.newTransactions`, one text per transaction, for
 * `encodeSyncMessage`. The texts must be `serializeTransaction` of those very transactions, in
 * order (they are not compared: that would cost the serialising this saves).
 */
export function withTransactionTexts<P extends SessionNewContent>(piece: P, texts: readonly string[]): P {
  transactionTexts.set(piece, texts);
  return piece;
}

/**
 * The JSON text of a sync message. Equal to `JSON.stringify(message)` after parsing, except that
 * a transaction of a piece cut from a log is written in its canonical form (fields in alphabetical
 * order), which is how it was signed; field order means nothing to a JSON reader.
 */
export function encodeSyncMessage(message: object): string {
  if ((message as { action?: unknown }).action !== "content") return JSON.stringify(message);
  return encodeMembers(message as Record<string, unknown>, (key, record) => (key === "new" ? encodePieces(record[key]) : undefined));
}

function encodePieces(pieces: unknown): string | undefined {
  if (pieces === null || typeof pieces !== "object") return undefined;
  return encodeMembers(pieces as Record<string, unknown>, (key, record) => encodePiece(record[key] as SessionNewContent));
}

function encodePiece(piece: SessionNewContent): string | undefined {
  const texts = transactionTexts.get(piece);
  if (texts === undefined) return undefined;
  // The transactions themselves are not read: their texts stand in for them.
  return encodeMembers(piece as unknown as Record<string, unknown>, (key) => (key === "newTransactions" ? `[${texts.join(",")}]` : undefined));
}

/**
 * `{…}` of `record`'s members as JSON.stringify writes them (own enumerable keys in order,
 * members that serialise to nothing skipped), `special` overriding a member's text where it
 * returns one (the member itself is then not read).
 */
function encodeMembers(record: Record<string, unknown>, special: (key: string, record: Record<string, unknown>) => string | undefined): string {
  let out = "";
  for (const key of Object.keys(record)) {
    const text = special(key, record) ?? JSON.stringify(record[key]);
    if (text === undefined) continue;
    out += `${out.length === 0 ? "" : ","}${JSON.stringify(key)}:${text}`;
  }
  return `{${out}}`;
}
