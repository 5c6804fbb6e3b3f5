import type { AppendChunk, UnsyncedEntry } from "@cosync/core";

// Inputs come from our own sync code, already verified, so these checks catch bugs (wrong shapes),
// not hostile data: they throw TypeError naming the argument, as every public entry does.

/** Throws a TypeError if `chunk` is not shaped like an AppendChunk. */
export function assertAppendChunk(chunk: AppendChunk): void {
  if (typeof chunk !== "object" || chunk === null) throw new TypeError("chunk: expected an object");
  if (typeof chunk.id !== "string") throw new TypeError("chunk.id: expected a CoValue id string");
  if (typeof chunk.sessions !== "object" || chunk.sessions === null) {
    throw new TypeError("chunk.sessions: expected an object of session pieces");
  }
  for (const [sessionId, piece] of Object.entries(chunk.sessions)) {
    const where = `chunk.sessions[${JSON.stringify(sessionId)}]`;
    if (!Number.isSafeInteger(piece.after) || piece.after < 0) {
      throw new TypeError(`${where}.after: expected a non-negative integer`);
    }
    if (!Array.isArray(piece.transactions) || !piece.transactions.every((tx) => typeof tx === "string")) {
      throw new TypeError(`${where}.transactions: expected an array of transaction JSON strings`);
    }
    if (typeof piece.lastSignature !== "string") throw new TypeError(`${where}.lastSignature: expected a string`);
  }
}

/** Throws a TypeError if `entries` is not an array of { id, peerId } strings. */
export function assertUnsyncedEntries(entries: readonly UnsyncedEntry[]): void {
  if (!Array.isArray(entries)) throw new TypeError("entries: expected an array");
  for (const [index, entry] of entries.entries()) {
    if (typeof entry?.id !== "string" || typeof entry.peerId !== "string") {
      throw new TypeError(`entries[${index}]: expected { id, peerId } strings`);
    }
  }
}
