// cojson's Rust core decodes with URL_SAFE, which *requires* `=` padding, so every `_U` payload
// (encrypted_U, sealed_U, sealedForGroup_U, binary_U) is padded base64url.
//
// Hand-written rather than @scure/base: this runs for every private transaction read or written,
// and scure's generic radix coder costs ~1 µs per 100-byte payload here, several times a table
// lookup. The property tests in base64url.test.ts hold it byte-identical to @scure/base (both
// directions, and the same refusals of malformed input).

import { utf8Decode } from "./utf8.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const DECODE = new Int16Array(128).fill(-1);
for (let index = 0; index < ALPHABET.length; index++) DECODE[ALPHABET.charCodeAt(index)] = index;

const CODES = Uint8Array.from(ALPHABET, (char) => char.charCodeAt(0));
const PAD = 0x3d; // "="
// The output is built as ASCII bytes and decoded into one string at once: growing a string four
// characters at a time (and flattening it later) cost ~2.5× as much for a transaction's ~200 bytes.

/** Padded base64url, the encoding of every cojson `_U` payload. */
export function base64urlEncode(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let index = 0;
  for (; index + 2 < bytes.length; index += 3) {
    const n = ((bytes[index] as number) << 16) | ((bytes[index + 1] as number) << 8) | (bytes[index + 2] as number);
    out[o++] = CODES[n >> 18] as number;
    out[o++] = CODES[(n >> 12) & 63] as number;
    out[o++] = CODES[(n >> 6) & 63] as number;
    out[o++] = CODES[n & 63] as number;
  }
  const rest = bytes.length - index;
  if (rest > 0) {
    const n = ((bytes[index] as number) << 16) | (rest === 2 ? (bytes[index + 1] as number) << 8 : 0);
    out[o++] = CODES[n >> 18] as number;
    out[o++] = CODES[(n >> 12) & 63] as number;
    out[o++] = rest === 2 ? (CODES[(n >> 6) & 63] as number) : PAD;
    out[o] = PAD;
  }
  return utf8Decode(out);
}

function sextet(text: string, index: number): number {
  const code = text.charCodeAt(index);
  const value = code < 128 ? (DECODE[code] as number) : -1;
  if (value < 0) throw new TypeError(`base64url: invalid character ${JSON.stringify(text[index])} at ${index}`);
  return value;
}

/** Decodes padded base64url; throws on a bad alphabet, missing padding, bad length or non-zero pad bits. */
export function base64urlDecode(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new TypeError(`base64url: length ${text.length} is not a multiple of 4 (padding required)`);
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  const full = text.length - (padding > 0 ? 4 : 0);
  // Hot path (every private transaction): one range check per quad instead of one per character;
  // a bad quad is decoded again by `sextet`, which names the character.
  let index = 0;
  for (; index < full; index += 4) {
    const c0 = text.charCodeAt(index);
    const c1 = text.charCodeAt(index + 1);
    const c2 = text.charCodeAt(index + 2);
    const c3 = text.charCodeAt(index + 3);
    if ((c0 | c1 | c2 | c3) > 127) break;
    const s0 = DECODE[c0] as number;
    const s1 = DECODE[c1] as number;
    const s2 = DECODE[c2] as number;
    const s3 = DECODE[c3] as number;
    if ((s0 | s1 | s2 | s3) < 0) break;
    const n = (s0 << 18) | (s1 << 12) | (s2 << 6) | s3;
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 255;
    out[o++] = n & 255;
  }
  if (index < full) {
    // Throws for the offending character.
    for (let at = index; at < index + 4; at++) sextet(text, at);
  }
  if (padding === 2) {
    const n = (sextet(text, full) << 18) | (sextet(text, full + 1) << 12);
    if ((n & 0xffff) !== 0) throw new TypeError("base64url: non-zero bits in padding");
    out[o] = n >> 16;
  } else if (padding === 1) {
    const n = (sextet(text, full) << 18) | (sextet(text, full + 1) << 12) | (sextet(text, full + 2) << 6);
    if ((n & 0xff) !== 0) throw new TypeError("base64url: non-zero bits in padding");
    out[o++] = n >> 16;
    out[o] = (n >> 8) & 255;
  }
  return out;
}

/** Decodes padded base64url, or returns undefined if `text` is malformed. */
export function tryBase64urlDecode(text: string): Uint8Array | undefined {
  try {
    return base64urlDecode(text);
  } catch {
    return undefined;
  }
}
