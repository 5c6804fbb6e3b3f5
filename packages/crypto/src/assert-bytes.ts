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
 * `ed25519Verify` must answer false, never throw. Lengths are read with the typed-array getter
 * itself: a subclass or proxy that passes `instanceof` can't claim another length than the bytes
 * the native code reads, nor throw from its own.
 */
export function isVerifiable(publicKey: unknown, message: unknown, signature: unknown): boolean {
  return byteLengthOf(publicKey) === 32 && byteLengthOf(signature) === 64 && byteLengthOf(message) !== undefined;
}

const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const intrinsicByteLength = Object.getOwnPropertyDescriptor(typedArrayPrototype, "byteLength")?.get as (this: unknown) => number;
const intrinsicBuffer = Object.getOwnPropertyDescriptor(typedArrayPrototype, "buffer")?.get as (this: unknown) => ArrayBufferLike;

/** The real byte length of a `Uint8Array`; undefined for anything else (a proxy, a fake). */
function byteLengthOf(value: unknown): number | undefined {
  if (!(value instanceof Uint8Array)) return undefined;
  try {
    return intrinsicByteLength.call(value);
  } catch {
    return undefined;
  }
}

/** `bytes` itself, or a plain copy when it views shared memory (which sodium-native refuses). */
export function unshared(bytes: Uint8Array): Uint8Array {
  return intrinsicBuffer.call(bytes) instanceof SharedArrayBuffer ? Uint8Array.prototype.slice.call(bytes) : bytes;
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}
