import { base58 } from "@scure/base";

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
/** Digits are gathered in limbs of six base-58 digits: a limb times 2^16 plus a carry stays below 2^53. */
const LIMB = 58 ** 6;
/** Base-58 digits per input byte, rounded up: log(256) / log(58). */
const DIGITS_PER_BYTE = 1.3658;

/**
 * Bitcoin-alphabet base58, as every cojson id and signature uses.
 *
 * Hand-written rather than @scure/base's encoder: every local write is signed, and encoding the
 * 64-byte signature and the 32-byte hash it signs took ~5 µs with scure's generic radix coder
 * (one byte per step, quadratic), against ~2 µs here (two bytes per step into six-digit limbs of
 * doubles). base58.test.ts holds it byte-identical to @scure/base. Decoding stays scure's.
 */
export function base58Encode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  const limbs = new Float64Array(Math.ceil(((bytes.length - zeros) * DIGITS_PER_BYTE) / 6) + 1);
  let used = 0;
  const feed = (value: number, scale: number): void => {
    let carry = value;
    for (let index = 0; index < used; index++) {
      const x = (limbs[index] as number) * scale + carry;
      carry = Math.floor(x / LIMB);
      limbs[index] = x - carry * LIMB;
    }
    while (carry > 0) {
      limbs[used++] = carry % LIMB;
      carry = Math.floor(carry / LIMB);
    }
  };
  let index = zeros;
  if ((bytes.length - zeros) % 2 === 1) feed(bytes[index++] as number, 256);
  for (; index < bytes.length; index += 2) feed((bytes[index] as number) * 256 + (bytes[index + 1] as number), 65536);
  let out = "";
  for (let limbIndex = 0; limbIndex < used; limbIndex++) {
    let limb = limbs[limbIndex] as number;
    // Every limb but the top one has exactly six digits, leading "zeros" ("1") included.
    const top = limbIndex === used - 1;
    for (let digit = 0; digit < 6 && !(top && limb === 0); digit++) {
      const quotient = Math.floor(limb / 58);
      out = ALPHABET.charAt(limb - quotient * 58) + out;
      limb = quotient;
    }
  }
  return "1".repeat(zeros) + out;
}

/** Decodes base58; throws on characters outside the Bitcoin alphabet. */
export function base58Decode(text: string): Uint8Array {
  return base58.decode(text);
}

/** Decodes base58, or returns undefined if `text` is not valid base58. */
export function tryBase58Decode(text: string): Uint8Array | undefined {
  if (text.length === 0) return undefined;
  try {
    return base58.decode(text);
  } catch {
    return undefined;
  }
}
