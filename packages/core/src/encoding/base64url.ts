import { base64url } from "@scure/base";

// cojson's Rust core decodes with URL_SAFE, which *requires* `=` padding, so every `_U` payload
// (encrypted_U, sealed_U, sealedForGroup_U, binary_U) is padded base64url.

/** Padded base64url, the encoding of every cojson `_U` payload. */
export function base64urlEncode(bytes: Uint8Array): string {
  return base64url.encode(bytes);
}

/** Decodes padded base64url; throws on a bad alphabet, missing padding or bad length. */
export function base64urlDecode(text: string): Uint8Array {
  return base64url.decode(text);
}

/** Decodes padded base64url, or returns undefined if `text` is malformed. */
export function tryBase64urlDecode(text: string): Uint8Array | undefined {
  try {
    return base64url.decode(text);
  } catch {
    return undefined;
  }
}
