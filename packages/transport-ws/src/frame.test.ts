import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { batchFrames, decodeFrame, encodeFrame, encodePing, FRAME_BATCH_CHARS, utf8Length } from "./frame.js";

test("frame: a ping has cojson's shape and decodes as a ping", () => {
  expect(encodePing(1_700_000_000_000)).toBe('{"type":"ping","time":1700000000000,"dc":"unknown"}');
  expect(decodeFrame(encodePing(5, "eu"))).toEqual([{ type: "ping", line: 0, time: 5, dc: "eu" }]);
});

test("frame: entries are told apart by their keys, as cojson does", () => {
  const frame = [
    '{"action":"load","id":"co_zA","header":false,"sessions":{}}',
    '{"time":"not a number"}',
    '{"error":{"code":"Gap","message":"m"}}',
    '{"error":"a string is not a notice"}',
    '{"action":"known","time":3}',
    "{}",
  ].join("\n");
  expect(decodeFrame(frame)).toEqual([
    { type: "message", line: 0, message: { action: "load", id: "co_zA", header: false, sessions: {} } },
    { type: "ping", line: 1, time: undefined, dc: undefined },
    { type: "notice", line: 2, notice: { error: { code: "Gap", message: "m" } } },
    { type: "ignored", line: 3 },
    { type: "message", line: 4, message: { action: "known", time: 3 } },
    { type: "ignored", line: 5 },
  ]);
});

test("frame: bad lines are refused one by one with their index and a reason", () => {
  const entries = decodeFrame(['{"action":"done","id":"co_zA"}', "", "[1]", "null", '"s"', "{oops", '{"action":"done","id":"co_zB"}'].join("\n"));
  expect(entries.map((entry) => (entry.type === "invalid" ? entry.reason : entry.type))).toEqual([
    "message",
    expect.stringMatching(/^line 1 is not valid JSON \(.+\)$/),
    "line 2 must be a JSON object, got an array",
    "line 3 must be a JSON object, got null",
    "line 4 must be a JSON object, got a string",
    expect.stringMatching(/^line 5 is not valid JSON/),
    "message",
  ]);
});

test("frame: the empty frame has no entries (cojson ignores it too)", () => {
  expect(decodeFrame("")).toEqual([]);
});

test("frame: batching joins entries up to 25,000 chars and gives an oversize entry its own frame", () => {
  const small = "a".repeat(9_999);
  expect(batchFrames([small, small, small, small]).map((frame) => frame.length)).toEqual([19_999, 19_999]);
  const huge = "b".repeat(30_000);
  expect(batchFrames(["x", huge, "y", "z"])).toEqual(["x", huge, "y\nz"]);
  expect(batchFrames([])).toEqual([]);
  expect(batchFrames(["a".repeat(12_499), "b".repeat(12_500)])).toEqual([`${"a".repeat(12_499)}\n${"b".repeat(12_500)}`]);
});

test("frame: utf8Length counts bytes like TextEncoder", () => {
  for (const text of ["", "ascii", "é", "€", "🎉", "a\u{10ffff}b", "\ud800", "x\udc00y"]) {
    expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
  }
});

test.prop([fc.string({ unit: "binary", maxLength: 300 })])("frame: decoding any string never throws and gives one entry per line", (text) => {
  const entries = decodeFrame(text);
  expect(entries).toHaveLength(text === "" ? 0 : text.split("\n").length);
  expect(entries.map((entry) => entry.line)).toEqual(entries.map((_, index) => index));
});

test.prop([fc.array(fc.oneof(fc.json(), fc.string({ unit: "grapheme", maxLength: 20 })), { maxLength: 12 })])(
  "frame: any mix of JSON and garbage lines decodes line by line, never throwing",
  (lines) => {
    const text = lines.join("\n");
    const entries = decodeFrame(text);
    expect(entries.length).toBe(text === "" ? 0 : text.split("\n").length);
    for (const entry of entries) {
      if (entry.type === "invalid") expect(entry.reason).toMatch(new RegExp(`^line ${entry.line} `));
    }
  },
);

const arbMessage = fc.record({ action: fc.constantFrom("load", "known", "content", "done"), id: fc.string(), payload: fc.jsonValue() });

test.prop([fc.array(arbMessage, { minLength: 1, maxLength: 20 }), fc.nat(), fc.string()])(
  "frame: messages round-trip through encode/decode, and one bad line costs only itself",
  (messages, at, garbage) => {
    const plain = JSON.parse(JSON.stringify(messages)) as unknown[];
    expect(decodeFrame(encodeFrame(messages)).map((entry) => (entry.type === "message" ? entry.message : entry))).toEqual(plain);

    const lines = messages.map((message) => JSON.stringify(message));
    const badLine = `{${garbage.replaceAll("\n", " ")}`;
    const cut = at % (lines.length + 1);
    lines.splice(cut, 0, badLine);
    const entries = decodeFrame(lines.join("\n"));
    const isBadJson = (() => {
      try {
        JSON.parse(badLine);
        return false;
      } catch {
        return true;
      }
    })();
    if (isBadJson) expect(entries[cut]).toMatchObject({ type: "invalid", line: cut });
    expect(entries.filter((entry) => entry.type === "message").map((entry) => (entry.type === "message" ? entry.message : undefined))).toEqual(
      isBadJson ? plain : expect.arrayContaining(plain),
    );
  },
);

test.prop([fc.array(fc.string({ unit: "binary", minLength: 1, maxLength: 9_000 }).map((s) => s.replaceAll("\n", "")), { maxLength: 30 })])(
  "frame: batches keep every entry, in order, within the limit unless one entry is larger",
  (entries) => {
    const frames = batchFrames(entries);
    expect(frames.join("\n")).toBe(entries.join("\n"));
    for (const frame of frames) {
      if (frame.includes("\n")) expect(frame.length).toBeLessThanOrEqual(FRAME_BATCH_CHARS);
    }
  },
);
