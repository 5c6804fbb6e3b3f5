import type { JsonValue } from "../encoding/canonical-json.js";
import { describeValue } from "../errors.js";

// Unpaired UTF-16 surrogates: cojson's Rust core rejects them, failing the whole batch.
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True if `text` has no unpaired UTF-16 surrogate. */
export function isWellFormedString(text: string): boolean {
  return !loneSurrogate.test(text);
}

/**
 * Throws a TypeError naming `argument` unless `value` is JSON that round-trips exactly through
 * cojson: strings without lone surrogates, finite numbers, booleans, null, arrays and plain
 * objects of those. `undefined` (anywhere), functions, symbols, bigints, NaN/±Infinity,
 * class instances (Date, Map, …) and cycles are rejected.
 */
export function assertJsonValue(value: unknown, argument: string): asserts value is JsonValue {
  const problem = jsonProblem(value, argument, new Set());
  if (problem !== undefined) throw new TypeError(problem);
}

/** Throws a TypeError naming `argument` unless `value` is a string without lone surrogates. */
export function assertWellFormedString(value: unknown, argument: string): asserts value is string {
  if (typeof value !== "string") throw new TypeError(`${argument}: expected a string, got ${describeValue(value)}`);
  if (!isWellFormedString(value)) throw new TypeError(`${argument}: string has an unpaired UTF-16 surrogate`);
}

function jsonProblem(value: unknown, path: string, ancestors: Set<object>): string | undefined {
  switch (typeof value) {
    case "string":
      return isWellFormedString(value) ? undefined : `${path}: string has an unpaired UTF-16 surrogate`;
    case "number":
      return Number.isFinite(value) ? undefined : `${path}: expected a finite number, got ${String(value)}`;
    case "boolean":
      return undefined;
    case "object":
      break;
    default:
      return `${path}: ${typeof value} is not JSON`;
  }
  if (value === null) return undefined;
  if (ancestors.has(value)) return `${path}: cyclic value is not JSON`;
  if (Array.isArray(value)) {
    ancestors.add(value);
    for (let index = 0; index < value.length; index++) {
      const problem = jsonProblem(value[index], `${path}[${index}]`, ancestors);
      if (problem !== undefined) return problem;
    }
    ancestors.delete(value);
    return undefined;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) {
    return `${path}: expected a plain object, got an instance of ${(value as object).constructor?.name ?? "a class"}`;
  }
  if (Object.getOwnPropertySymbols(value).length > 0) return `${path}: symbol keys are not JSON`;
  ancestors.add(value);
  for (const [key, member] of Object.entries(value)) {
    if (!isWellFormedString(key)) return `${path}: key has an unpaired UTF-16 surrogate`;
    const problem = jsonProblem(member, `${path}.${key}`, ancestors);
    if (problem !== undefined) return problem;
  }
  ancestors.delete(value);
  return undefined;
}

/** Throws a RangeError naming `argument` unless `value` is an integer in [min, max]. */
export function assertIndex(value: unknown, argument: string, min: number, max: number): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${argument}: expected an integer, got ${describeValue(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(
      max < min ? `${argument}: ${value} is out of range (the list is empty)` : `${argument}: ${value} is out of range [${min}, ${max}]`,
    );
  }
}
