import { splitGraphemes as segmentGraphemes } from "unicode-segmenter/grapheme";

/**
 * Splits `text` into extended grapheme clusters exactly as cojson's CoPlainText does (it uses
 * `unicode-segmenter`). `Intl.Segmenter` is not used on purpose: its clusters follow the
 * runtime's ICU/Unicode version (Node 20's ICU already differs from unicode-segmenter 0.12 on
 * marks added in Unicode 16–17), and replicas must split text the same way cojson does.
 */
export function splitGraphemes(text: string): string[] {
  return Array.from(segmentGraphemes(text));
}
