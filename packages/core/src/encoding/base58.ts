import { base58 } from "@scure/base";

/** Bitcoin-alphabet base58, as every cojson id and signature uses. */
export function base58Encode(bytes: Uint8Array): string {
  return base58.encode(bytes);
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
