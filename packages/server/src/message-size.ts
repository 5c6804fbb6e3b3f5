import { serializedLengthOf } from "@cosync/transport-ws";

/**
 * The approximate size in bytes of a message as compact JSON, without serializing it: string
 * lengths (UTF-16 units; escapes and multi-byte characters are not counted exactly) plus
 * punctuation. Within a few percent for sync messages, whose bulk is transaction strings, and an
 * order of magnitude cheaper than `JSON.stringify`, so it can run on every message in and out.
 */
/** Nesting no sync message reaches (content is five levels deep). */
export const MAX_JSON_DEPTH = 32;

export function approximateJsonBytes(value: unknown, depth = 0): number {
  switch (typeof value) {
    case "string":
      return value.length + 2;
    case "number":
      return Number.isInteger(value) && value >= 0 && value < 1e15 ? digits(value) : 24;
    case "boolean":
      return value ? 4 : 5;
    case "object": {
      if (value === null) return 4;
      // Deeper nesting than any sync message has: not a size at all (the guard refuses it as such).
      if (depth > MAX_JSON_DEPTH) return Number.POSITIVE_INFINITY;
      if (Array.isArray(value)) {
        let size = 2 + Math.max(0, value.length - 1);
        for (const item of value) size += approximateJsonBytes(item, depth + 1);
        return size;
      }
      let size = 2;
      let first = true;
      for (const key in value) {
        const item = (value as Record<string, unknown>)[key];
        if (item === undefined) continue;
        size += key.length + 3 + (first ? 0 : 1) + approximateJsonBytes(item, depth + 1);
        first = false;
      }
      return size;
    }
    default:
      return 0;
  }
}

// Compares against powers of ten (exact doubles up to 1e15) instead of dividing: every
// transaction's madeAt has 13 digits, and this runs on every message in and out.
function digits(value: number): number {
  let count = 1;
  for (let bound = 10; value >= bound; bound *= 10) count++;
  return count;
}

// Relayed messages are shared between subscribers' channels: measure each object once.
const measured = new WeakMap<object, number>();

/**
 * The size of a message being sent: its length as the transport serialized it (a cold load's
 * content would otherwise be walked transaction by transaction once more), else
 * `approximateJsonBytes`, remembered per object (sent messages are never mutated).
 */
export function messageBytes(message: object): number {
  const serialized = serializedLengthOf(message);
  if (serialized !== undefined) return serialized;
  let bytes = measured.get(message);
  if (bytes === undefined) {
    bytes = approximateJsonBytes(message);
    measured.set(message, bytes);
  }
  return bytes;
}
