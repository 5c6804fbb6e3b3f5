/**
 * cojson 0.20's WebSocket framing (docs/protocol.md): a text frame holds one or more compact-JSON
 * entries joined by `"\n"`. Pure functions over strings, no sockets (pg-protocol style).
 *
 * Entries are told apart by their keys, as cojson-transport-ws does: `action` → a sync message,
 * otherwise `time` → a ping, otherwise `error` (an object) → a cosync error notice (docs/protocol.md, "Error notices"),
 * otherwise ignored. Unlike cojson, which drops a whole frame when one line fails to parse, the
 * decoder judges each line on its own, so a receiver keeps the good entries and can report
 * exactly which line was bad.
 */

/** Most characters cosync joins into one frame (cojson's MAX_OUTGOING_MESSAGES_CHUNK_BYTES). */
export const FRAME_BATCH_CHARS = 25_000;

/** Default largest frame a channel accepts; larger ones close the socket with 1009. */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

/** One line of a decoded frame; `line` is its 0-based index in the frame. */
export type FrameEntry =
  | { readonly type: "message"; readonly line: number; readonly message: Readonly<Record<string, unknown>> }
  | { readonly type: "ping"; readonly line: number; readonly time: number | undefined; readonly dc: string | undefined }
  | { readonly type: "notice"; readonly line: number; readonly notice: Readonly<Record<string, unknown>> }
  | { readonly type: "ignored"; readonly line: number }
  | { readonly type: "invalid"; readonly line: number; readonly reason: string };

/** A ping as the server sends it: `{"type":"ping","time":<ms>,"dc":"unknown"}` (docs/protocol.md). */
export function encodePing(time: number, dc = "unknown"): string {
  return JSON.stringify({ type: "ping", time, dc });
}

/**
 * Joins already-serialized entries into frames of at most `maxChars` characters (counting the
 * `"\n"` separators), in order. An entry longer than `maxChars` gets a frame of its own.
 */
export function batchFrames(entries: Iterable<string>, maxChars = FRAME_BATCH_CHARS): string[] {
  const frames: string[] = [];
  let frame = "";
  let empty = true;
  for (const entry of entries) {
    if (!empty && frame.length + 1 + entry.length > maxChars) {
      frames.push(frame);
      empty = true;
    }
    frame = empty ? entry : `${frame}\n${entry}`;
    empty = false;
  }
  if (!empty) frames.push(frame);
  return frames;
}

/** Serializes values as one frame (compact JSON, one per line). */
export function encodeFrame(values: readonly unknown[]): string {
  return values.map((value) => JSON.stringify(value)).join("\n");
}

/**
 * Splits a frame into entries, one per line, never throwing: a line that is not JSON, or not a
 * JSON object, becomes an `invalid` entry with the reason. The empty frame has no entries.
 */
export function decodeFrame(frame: string): FrameEntry[] {
  if (frame === "") return [];
  if (!frame.includes("\n")) return [decodeLine(frame, 0)];
  return frame.split("\n").map(decodeLine);
}

function decodeLine(text: string, line: number): FrameEntry {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { type: "invalid", line, reason: `line ${line} is not valid JSON (${shorten(detail, 120)})` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { type: "invalid", line, reason: `line ${line} must be a JSON object, got ${kindOf(value)}` };
  }
  const entry = value as Record<string, unknown>;
  if ("action" in entry) return { type: "message", line, message: entry };
  if ("time" in entry) {
    const time = typeof entry.time === "number" && Number.isFinite(entry.time) ? entry.time : undefined;
    return { type: "ping", line, time, dc: typeof entry.dc === "string" ? entry.dc : undefined };
  }
  const error = entry.error;
  if (error !== null && typeof error === "object" && !Array.isArray(error)) return { type: "notice", line, notice: entry };
  return { type: "ignored", line };
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** UTF-8 length of a string, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair: 2 code units, 4 bytes
      i += 1;
    } else bytes += 2; // 3 bytes (lone surrogates are sent as U+FFFD, also 3)
  }
  return bytes;
}
