import { canonicalJson, type JsonObject, type JsonValue } from "../encoding/canonical-json.js";
import { utf8Encode } from "../encoding/utf8.js";
import { describeValue } from "../errors.js";
import type { AgentId } from "../ids/agent-id.js";
import { type CoId, coIdFromHash, isCoId } from "../ids/co-id.js";
import { type Result, err, ok } from "../result.js";

export type CoValueType = "comap" | "colist" | "costream" | "coplaintext";

export type Ruleset =
  | { readonly type: "group"; readonly initialAdmin: CoId | AgentId }
  | { readonly type: "ownedByGroup"; readonly group: CoId; readonly restrictDeletion?: boolean }
  | { readonly type: "unsafeAllowAll" };

export type HeaderUniqueness = string | boolean | number | null | { readonly [key: string]: string };

/** A CoValue's header; its canonical JSON hashes to the CoValue's id (cojson 0.20). */
export interface CoValueHeader {
  readonly type: CoValueType;
  readonly ruleset: Ruleset;
  readonly meta: JsonObject | null;
  /** Absent, null and a string serialise differently and so give different ids. */
  readonly createdAt?: string | null;
  readonly uniqueness: HeaderUniqueness;
}

const coValueTypes = new Set<string>(["comap", "colist", "costream", "coplaintext"]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function rulesetProblem(ruleset: unknown): string | undefined {
  if (!isPlainObject(ruleset)) return `header.ruleset must be an object, got ${describeValue(ruleset)}`;
  switch (ruleset.type) {
    case "group":
      return typeof ruleset.initialAdmin === "string"
        ? undefined
        : `header.ruleset.initialAdmin must be a string, got ${describeValue(ruleset.initialAdmin)}`;
    case "ownedByGroup":
      if (!isCoId(ruleset.group)) return `header.ruleset.group must be a CoValue id, got ${describeValue(ruleset.group)}`;
      if (ruleset.restrictDeletion !== undefined && typeof ruleset.restrictDeletion !== "boolean") {
        return "header.ruleset.restrictDeletion must be a boolean";
      }
      return undefined;
    case "unsafeAllowAll":
      return undefined;
    default:
      return `header.ruleset.type must be group, ownedByGroup or unsafeAllowAll, got ${describeValue(ruleset.type)}`;
  }
}

// cojson 0.20 refuses floats and arrays as uniqueness (they hashed differently in Rust and JS).
function uniquenessProblem(uniqueness: unknown): string | undefined {
  if (uniqueness === null || typeof uniqueness === "string" || typeof uniqueness === "boolean") return undefined;
  if (typeof uniqueness === "number") {
    return Number.isSafeInteger(uniqueness) ? undefined : "header.uniqueness must not be a non-integer number";
  }
  if (isPlainObject(uniqueness)) {
    for (const value of Object.values(uniqueness)) {
      if (typeof value !== "string") return "header.uniqueness object values must be strings";
    }
    return undefined;
  }
  return `header.uniqueness must be a string, boolean, integer, null or object of strings, got ${describeValue(uniqueness)}`;
}

/** Checks an untrusted header's shape; returns it typed or says what is wrong. */
export function validateHeader(value: unknown): Result<CoValueHeader, string> {
  if (!isPlainObject(value)) return err(`header must be an object, got ${describeValue(value)}`);
  if (typeof value.type !== "string" || !coValueTypes.has(value.type)) {
    return err(`header.type must be comap, colist, costream or coplaintext, got ${describeValue(value.type)}`);
  }
  const problem =
    rulesetProblem(value.ruleset) ??
    (value.meta === null || isPlainObject(value.meta) ? undefined : "header.meta must be an object or null") ??
    (value.createdAt === undefined || value.createdAt === null || typeof value.createdAt === "string"
      ? undefined
      : "header.createdAt must be a string, null or absent") ??
    uniquenessProblem(value.uniqueness);
  return problem === undefined ? ok(value as unknown as CoValueHeader) : err(problem);
}

/** The canonical bytes of a header, whose BLAKE3 hash gives the CoValue id. */
export function headerBytes(header: CoValueHeader): Uint8Array {
  return utf8Encode(canonicalJson(header as unknown as JsonValue) ?? "");
}

/** The CoValue id of a header, given a BLAKE3 function. */
export function idForHeader(header: CoValueHeader, blake3: (data: Uint8Array) => Uint8Array): CoId {
  return coIdFromHash(blake3(headerBytes(header)));
}

/** Sync priority of a CoValue (docs/protocol.md): 0 accounts and groups, 6 binary streams, else 3. */
export type Priority = 0 | 3 | 6;

export function priorityOfHeader(header: CoValueHeader): Priority {
  if (header.meta?.type === "account" || header.ruleset.type === "group") return 0;
  if (header.type === "costream" && header.meta?.type === "binary") return 6;
  return 3;
}
