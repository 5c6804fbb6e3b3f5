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

/**
 * Whether Ed25519 verification inputs have the shapes the native libraries require (32-byte key,
 * 64-byte signature, byte message). Both libraries throw or misbehave otherwise, and
 * `ed25519Verify` must answer false, never throw.
 */
export function isVerifiable(publicKey: unknown, message: unknown, signature: unknown): boolean {
  return (
    publicKey instanceof Uint8Array &&
    publicKey.length === 32 &&
    signature instanceof Uint8Array &&
    signature.length === 64 &&
    message instanceof Uint8Array
  );
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}
