const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 bytes of a string (lone surrogates become U+FFFD, as in every JS encoder). */
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8, replacing invalid sequences with U+FFFD. */
export function utf8Decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Decodes UTF-8, or returns undefined if `bytes` is not valid UTF-8. */
export function tryUtf8DecodeStrict(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** True if the string holds a lone UTF-16 surrogate (cojson's Rust core refuses such text). */
export function hasLoneSurrogate(text: string): boolean {
  return !(text as unknown as { isWellFormed(): boolean }).isWellFormed();
}
