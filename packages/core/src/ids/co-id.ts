import { base58Encode } from "../encoding/base58.js";
import { FormatError } from "../errors.js";
import { type Base58Format, base58FormatProblem } from "./prefixed.js";

/** A CoValue id: `co_z` + base58 of the first 19 bytes of blake3(canonical header). */
export type CoId = `co_z${string}`;

/** Bytes of a header hash that make a CoValue id (also a short hash's length). */
export const SHORT_HASH_LENGTH = 19;

export const coIdFormat: Base58Format = { name: "CoValue id", prefix: "co_z", byteLength: SHORT_HASH_LENGTH };

export function isCoId(value: unknown): value is CoId {
  return base58FormatProblem(value, coIdFormat) === undefined;
}

/** Returns `value` as a CoId or throws a FormatError naming `argument` and what was wrong. */
export function parseCoId(value: unknown, argument = "id"): CoId {
  const problem = base58FormatProblem(value, coIdFormat);
  if (problem !== undefined) throw new FormatError(`${argument}: ${problem}`);
  return value as CoId;
}

/** The CoValue id for a header hash (only the first 19 bytes are used). */
export function coIdFromHash(hash: Uint8Array): CoId {
  return `co_z${base58Encode(hash.subarray(0, SHORT_HASH_LENGTH))}`;
}
