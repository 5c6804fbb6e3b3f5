/**
 * Boundary checks shared by both providers, so a wrong-length key fails with the same
 * `TypeError` (naming the argument) whichever implementation is loaded.
 */

/** Throws a `TypeError` naming `argument` unless `value` is a `Uint8Array`. */
export function assertBytes(value: Uint8Array, argument: string): void {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${argument}: expected a Uint8Array, got ${describe(value)}`);
  }
}

/** Throws a `TypeError` naming `argument` unless `value` is a `Uint8Array` of exactly `length` bytes. */
export function assertLength(value: Uint8Array, length: number, argument: string): void {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new TypeError(`${argument}: expected ${length} bytes, got ${describe(value)}`);
  }
}

/** Throws a `TypeError` naming `argument` unless `value` is a usable byte count. */
export function assertByteCount(value: number, argument: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${argument}: expected a non-negative integer, got ${String(value)}`);
  }
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}
