import { createRequire } from "node:module";
import sodium from "sodium-native";
import { isVerifiable, unshared } from "./assert-bytes.js";

/** Ed25519 verification: false for a bad signature or malformed input, never a throw. */
export type Ed25519Verify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

/** The part of cojson-core-napi (Rust ed25519-dalek over N-API) this module calls. */
interface DalekBinding {
  ed25519Verify(verifyingKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/**
 * The fastest Ed25519 verification this machine has, with libsodium's acceptance rules.
 *
 * Checking signatures is the largest single cost of a server's event loop (a fifth of it per
 * one-transaction message, measured), and ed25519-dalek (the optional `cojson-core-napi` addon,
 * also what cojson itself verifies with) checks one in about three quarters of libsodium's time. The two differ only on inputs no honest signer produces:
 * libsodium refuses a low-order public key or R and a non-canonical public key, where dalek's
 * cofactorless `verify` accepts them when the equation holds (which a key's owner can arrange).
 * Those checks are byte comparisons, done here first, so both providers — and every cosync node —
 * accept exactly the same signatures. Without the addon (a platform it has no build for) it is
 * libsodium alone.
 */
export function loadEd25519Verify(): Ed25519Verify {
  const dalek = loadDalek();
  if (dalek === undefined) return verifyWithSodium;
  return (publicKey, message, signature) => {
    if (!isVerifiable(publicKey, message, signature)) return false;
    if (!acceptsPoints(publicKey, signature)) return false;
    try {
      return dalek.ed25519Verify(publicKey, message, signature);
    } catch {
      return false; // a public key that is no curve point
    }
  };
}

/** libsodium alone (the fallback, and the reference the tests compare with). */
export function verifyWithSodium(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  // sodium-native asserts on lengths (and accepts over-long signatures): check shapes first.
  if (!isVerifiable(publicKey, message, signature)) return false;
  return sodium.crypto_sign_verify_detached(unshared(signature), unshared(message), unshared(publicKey)) === true;
}

function loadDalek(): DalekBinding | undefined {
  try {
    const binding = createRequire(import.meta.url)("cojson-core-napi") as Partial<DalekBinding>;
    return typeof binding.ed25519Verify === "function" ? (binding as DalekBinding) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * libsodium's point checks before its equation: R (the signature's first half) and the public key
 * must not be one of the low-order points, and the key's encoding must be canonical (y < p).
 */
export function acceptsPoints(publicKey: Uint8Array, signature: Uint8Array): boolean {
  return !hasLowOrder(signature) && !hasLowOrder(publicKey) && isCanonicalPoint(publicKey);
}

/**
 * Encodings of the low-order points of edwards25519 with the sign bit cleared (which libsodium
 * ignores here): y = 0 (order 4), 1 (order 1), the two order-8 y's, p − 1 (order 2), and the
 * non-canonical p (= 0) and p + 1 (= 1). The tests check each against libsodium.
 */
export const LOW_ORDER_ENCODINGS: readonly Uint8Array[] = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].map((hex) => Uint8Array.from(Buffer.from(hex, "hex")));

/** Whether the first 32 bytes of `point` encode a low-order point (sign bit ignored). */
export function hasLowOrder(point: Uint8Array): boolean {
  for (const encoding of LOW_ORDER_ENCODINGS) {
    let index = 0;
    while (index < 31 && point[index] === encoding[index]) index++;
    if (index === 31 && ((point[31] as number) & 0x7f) === encoding[31]) return true;
  }
  return false;
}

/** Whether a 32-byte point encoding is canonical: its y (sign bit cleared) is below p = 2²⁵⁵ − 19. */
export function isCanonicalPoint(point: Uint8Array): boolean {
  if (((point[31] as number) & 0x7f) !== 0x7f) return true;
  for (let index = 30; index > 0; index--) if (point[index] !== 0xff) return true;
  return (point[0] as number) < 0xed;
}
