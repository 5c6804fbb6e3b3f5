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
 * doubles). base58.test.ts holds it byte-identical to @scure/base.
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

/** Value of each ASCII character as a base-58 digit, -1 outside the alphabet. */
const DIGIT_OF = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let index = 0; index < ALPHABET.length; index++) table[ALPHABET.charCodeAt(index)] = index;
  return table;
})();
/** Base-58 digits fed per step while decoding: a 16-bit limb times 58^5 plus a carry stays below 2^53. */
const DECODE_GROUP = 5;
const DECODE_SCALES = [1, 58, 58 ** 2, 58 ** 3, 58 ** 4, 58 ** 5];

/**
 * Decodes base58; throws on characters outside the Bitcoin alphabet.
 *
 * Hand-written for the same reason as the encoder: a server decodes every received signature
 * (validation, then verification), and scure's one-digit-per-step decoder took ~2.4 µs per
 * 64-byte signature against ~1.2 µs here (measured with @scure/base 2.4; its 1.x took ~22 µs).
 * This one feeds five digits per step into 16-bit limbs of doubles.
 * base58.test.ts holds it byte-identical to @scure/base.
 */
export function base58Decode(text: string): Uint8Array {
  const bytes = decode(text);
  if (bytes === undefined) throw new Error(`base58: invalid character in ${JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text)}`);
  return bytes;
}

/** Decodes base58, or returns undefined if `text` is not valid base58. */
export function tryBase58Decode(text: string): Uint8Array | undefined {
  if (text.length === 0) return undefined;
  return decode(text);
}

function decode(text: string): Uint8Array | undefined {
  const length = text.length;
  let zeros = 0;
  while (zeros < length && text.charCodeAt(zeros) === 0x31) zeros++;
  // 58 < 2^6: every digit adds less than 6 bits, so this many 16-bit limbs always suffice.
  const limbs = new Float64Array(Math.ceil(((length - zeros) * 6) / 16) + 1);
  let used = 0;
  for (let start = zeros; start < length; start += DECODE_GROUP) {
    const end = Math.min(length, start + DECODE_GROUP);
    let carry = 0;
    for (let index = start; index < end; index++) {
      const code = text.charCodeAt(index);
      const digit = code < 128 ? (DIGIT_OF[code] as number) : -1;
      if (digit < 0) return undefined;
      carry = carry * 58 + digit;
    }
    const scale = DECODE_SCALES[end - start] as number;
    for (let limb = 0; limb < used; limb++) {
      const x = (limbs[limb] as number) * scale + carry;
      carry = Math.floor(x / 65536);
      limbs[limb] = x - carry * 65536;
    }
    while (carry > 0) {
      limbs[used++] = carry % 65536;
      carry = Math.floor(carry / 65536);
    }
  }
  const top = used === 0 ? 0 : (limbs[used - 1] as number);
  const significant = used === 0 ? 0 : used * 2 - (top < 256 ? 1 : 0);
  const bytes = new Uint8Array(zeros + significant);
  let at = bytes.length;
  for (let limb = 0; limb < used; limb++) {
    const value = limbs[limb] as number;
    bytes[--at] = value & 0xff;
    if (at > zeros) bytes[--at] = value >>> 8;
  }
  return bytes;
}
