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
  const limbs = scratchLimbs(Math.ceil(((bytes.length - zeros) * DIGITS_PER_BYTE) / 6) + 1);
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
  // Digits are written right to left into a buffer of character codes, then made one string: a
  // string per digit (prepending) was most of what a server allocated per received signature.
  const codes = scratchCodes(zeros + used * 6);
  let at = codes.length;
  for (let limbIndex = 0; limbIndex < used; limbIndex++) {
    let limb = limbs[limbIndex] as number;
    // Every limb but the top one has exactly six digits, leading "zeros" ("1") included.
    const top = limbIndex === used - 1;
    for (let digit = 0; digit < 6 && !(top && limb === 0); digit++) {
      const quotient = Math.floor(limb / 58);
      codes[--at] = ALPHABET_CODES[limb - quotient * 58] as number;
      limb = quotient;
    }
  }
  for (let zero = 0; zero < zeros; zero++) codes[--at] = ONE;
  // One call for an id or a signature; chunks beyond that, as apply() passes every code as an
  // argument on the stack (about 125k of them threw RangeError).
  if (codes.length - at <= CHARS_PER_CALL) return String.fromCharCode.apply(null, codes.subarray(at) as unknown as number[]);
  let out = "";
  for (; at < codes.length; at += CHARS_PER_CALL) {
    out += String.fromCharCode.apply(null, codes.subarray(at, at + CHARS_PER_CALL) as unknown as number[]);
  }
  return out;
}

const CHARS_PER_CALL = 8192;

const ALPHABET_CODES = Uint8Array.from(ALPHABET, (char) => char.charCodeAt(0));
const ONE = 0x31;

// Scratch buffers, reused across calls (both coders are synchronous, so no call sees another's):
// the limbs and digits of one id or signature, which every message carries, need no allocation.
// They grow to at most MAX_SCRATCH: a larger input gets buffers of its own, so one huge input
// (a decode allocates before it meets an invalid character) is not kept for the process's life.
const MAX_SCRATCH = 4096;
let limbScratch = new Float64Array(64);
let codeScratch = new Uint8Array(128);

function scratchLimbs(length: number): Float64Array {
  if (limbScratch.length >= length) return limbScratch;
  if (length > MAX_SCRATCH) return new Float64Array(length);
  limbScratch = new Float64Array(length);
  return limbScratch;
}

/** A code buffer of exactly `length` (a view of the scratch buffer, or its own if too long). */
function scratchCodes(length: number): Uint8Array {
  if (codeScratch.length >= length) return codeScratch.subarray(0, length);
  if (length > MAX_SCRATCH) return new Uint8Array(length);
  codeScratch = new Uint8Array(length);
  return codeScratch.subarray(0, length);
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
  if (bytes === undefined)
    throw new Error(`base58: invalid character in ${JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text)}`);
  return bytes;
}

/** Decodes base58, or returns undefined if `text` is not valid base58. */
export function tryBase58Decode(text: string): Uint8Array | undefined {
  if (text.length === 0) return undefined;
  return decode(text);
}

/**
 * How many bytes `text` decodes to, or undefined if it is not valid base58 — what validating a
 * format needs, without allocating the bytes.
 */
export function base58DecodedLength(text: string): number | undefined {
  if (text.length === 0) return undefined;
  const zeros = leadingOnes(text);
  const limbs = limbsFor(text, zeros);
  const used = decodeLimbs(text, zeros, limbs);
  return used === undefined ? undefined : zeros + significantBytes(limbs, used);
}

function decode(text: string): Uint8Array | undefined {
  const zeros = leadingOnes(text);
  const limbs = limbsFor(text, zeros);
  const used = decodeLimbs(text, zeros, limbs);
  if (used === undefined) return undefined;
  const bytes = new Uint8Array(zeros + significantBytes(limbs, used));
  let at = bytes.length;
  for (let limb = 0; limb < used; limb++) {
    const value = limbs[limb] as number;
    bytes[--at] = value & 0xff;
    if (at > zeros) bytes[--at] = value >>> 8;
  }
  return bytes;
}

function leadingOnes(text: string): number {
  let zeros = 0;
  while (zeros < text.length && text.charCodeAt(zeros) === ONE) zeros++;
  return zeros;
}

/** Bytes held by the `used` low 16-bit limbs (the top one may hold one). */
function significantBytes(limbs: Float64Array, used: number): number {
  if (used === 0) return 0;
  return used * 2 - ((limbs[used - 1] as number) < 256 ? 1 : 0);
}

/** Limbs enough for the digits after `zeros`: 58 < 2^6, every digit adds less than 6 bits. */
function limbsFor(text: string, zeros: number): Float64Array {
  return scratchLimbs(Math.ceil(((text.length - zeros) * 6) / 16) + 1);
}

/**
 * Feeds the digits after `zeros` into 16-bit limbs, least significant first; returns how many
 * limbs are used, or undefined for a character outside the alphabet.
 */
function decodeLimbs(text: string, zeros: number, limbs: Float64Array): number | undefined {
  const length = text.length;
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
  return used;
}
