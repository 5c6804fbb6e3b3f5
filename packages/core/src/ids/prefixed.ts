import { base58DecodedLength, tryBase58Decode } from "../encoding/base58.js";
import { tryBase64urlDecode } from "../encoding/base64url.js";
import { describeValue, FormatError } from "../errors.js";

/** A base58 string with a fixed prefix and a fixed decoded length, e.g. `signer_z` + 32 bytes. */
export interface Base58Format {
  readonly name: string;
  readonly prefix: string;
  readonly byteLength: number;
}

/** Base-58 digits per byte, log(256) / log(58), rounded up: n bytes never take more than n × this. */
const DIGITS_PER_BYTE = 1.3658;

// Ids recur in every message (a value's id, its sessions' agents), and checking one means
// decoding its base58: remember the ones found valid, per format. Signatures and other formats
// longer than an id are unique per message, and secrets must not linger: neither is remembered.
const MAX_REMEMBERED_BYTES = 32;
const validSeen = new WeakMap<Base58Format, RememberedValid>();

/**
 * Strings already found valid, so a check that recurs on every message is done once: at most
 * `limit` of them (all forgotten at once when full, so no input can grow it without bound).
 */
export class RememberedValid {
  readonly #seen = new Set<string>();
  constructor(private readonly limit = 10_000) {}

  has(value: string): boolean {
    return this.#seen.has(value);
  }

  add(value: string): void {
    if (this.#seen.size >= this.limit) this.#seen.clear();
    this.#seen.add(value);
  }
}

/** Why `value` is not in `format`, or undefined if it is. */
export function base58FormatProblem(value: unknown, format: Base58Format): string | undefined {
  if (typeof value !== "string") return `expected ${withArticle(format.name)} string, got ${describeValue(value)}`;
  const remembered = rememberable(format) ? validSeen.get(format) : undefined;
  if (remembered?.has(value)) return undefined;
  if (!value.startsWith(format.prefix)) {
    return `expected ${withArticle(format.name)} ("${format.prefix}…"), got ${describeValue(value)}`;
  }
  // Decoding is quadratic in the length: refuse what is far too long before decoding it (near
  // misses are decoded, so the message can say how many bytes they hold).
  if (value.length > maxFormatLength(format)) {
    return `${format.name} ${describeValue(value)} is too long for ${format.byteLength} bytes`;
  }
  const byteLength = base58DecodedLength(value.slice(format.prefix.length));
  if (byteLength === undefined) return `${format.name} ${describeValue(value)} is not valid base58 after "${format.prefix}"`;
  if (byteLength !== format.byteLength) {
    return `${format.name} ${describeValue(value)} encodes ${byteLength} bytes, expected ${format.byteLength}`;
  }
  if (rememberable(format)) remember(format, value);
  return undefined;
}

/**
 * The longest text `base58FormatProblem` decodes for `format` (longer is refused undecoded). Callers
 * that check a part of a longer string bound the whole string by it before slicing: V8 slices keep
 * their parent alive, and a valid part is remembered, so an unbounded parent would be kept with it.
 */
export function maxFormatLength(format: Base58Format): number {
  return format.prefix.length + 2 * Math.ceil(format.byteLength * DIGITS_PER_BYTE) + 8;
}

// "an invite secret", "a key id": the names are ours and none starts with a vowel sounded otherwise
// (so "uniqueness", said "you-", keeps "a").
function withArticle(name: string): string {
  return /^[aeio]/i.test(name) ? `an ${name}` : `a ${name}`;
}

function rememberable(format: Base58Format): boolean {
  return format.byteLength <= MAX_REMEMBERED_BYTES && !format.prefix.includes("Secret");
}

function remember(format: Base58Format, value: string): void {
  let seen = validSeen.get(format);
  if (seen === undefined) {
    seen = new RememberedValid();
    validSeen.set(format, seen);
  }
  seen.add(value);
}

/** Decodes the bytes of a prefixed base58 value; throws FormatError naming `argument`. */
export function decodeBase58Format(value: unknown, format: Base58Format, argument: string): Uint8Array {
  const problem = base58FormatProblem(value, format);
  if (problem !== undefined) throw new FormatError(`${argument}: ${problem}`);
  return tryBase58Decode((value as string).slice(format.prefix.length)) as Uint8Array;
}

/** Decodes the payload of a `<prefix>U<padded base64url>` value, or returns a problem string. */
export function decodeBase64urlPayload(
  value: unknown,
  prefix: string,
  name: string,
): { readonly bytes: Uint8Array } | { readonly problem: string } {
  if (typeof value !== "string" || !value.startsWith(prefix)) {
    return { problem: `expected ${name} ("${prefix}…"), got ${describeValue(value)}` };
  }
  const bytes = tryBase64urlDecode(value.slice(prefix.length));
  if (bytes === undefined) return { problem: `${name} is not padded base64url after "${prefix}"` };
  return { bytes };
}
