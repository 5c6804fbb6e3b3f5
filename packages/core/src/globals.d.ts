// The few web-standard globals core uses, present in every runtime we target (Node ≥ 20 and
// browsers). Declared here because core compiles without the DOM lib, so `window` stays an error.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
declare function queueMicrotask(callback: () => void): void;
