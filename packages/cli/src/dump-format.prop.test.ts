// A dump is untrusted input (a file from anywhere): every line parses to a well-formed record or
// is refused with a DumpFormatError naming the line — never another exception.
import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { DumpFormatError, parseDumpLine } from "./dump-format.js";

const anyJsonLine = fc.oneof(
  fc.string(),
  fc.json(),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc
    .record({
      kind: fc.constantFrom("cosync-dump", "covalue", "piece", "manifest", "other"),
      id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      header: fc.oneof(fc.object(), fc.constant(null), fc.string()),
      deleted: fc.oneof(fc.boolean(), fc.string()),
      version: fc.oneof(fc.integer(), fc.string()),
      sessions: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.constant(null), fc.string()),
      covalues: fc.oneof(fc.integer(), fc.double(), fc.string()),
      sha256: fc.oneof(fc.string(), fc.integer()),
    })
    .map((record) => JSON.stringify(record)),
);

test.prop([anyJsonLine, fc.integer({ min: 1, max: 1_000_000 })], { numRuns: 2000 })(
  "parseDumpLine: a record or a DumpFormatError naming the line, nothing else",
  (line, lineNumber) => {
    try {
      const record = parseDumpLine(line, lineNumber);
      expect(["cosync-dump", "covalue", "piece", "manifest"]).toContain(record.kind);
    } catch (error) {
      expect(error).toBeInstanceOf(DumpFormatError);
      expect((error as Error).message.startsWith(`line ${lineNumber}: `)).toBe(true);
    }
  },
);
