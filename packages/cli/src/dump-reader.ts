// Reads a dump line by line. `checkDumpIntegrity` is the first pass of an import: it hashes and
// counts everything before the manifest and compares, so a flipped byte or a cut-short file is
// refused before anything is written. `readDumpValues` is the second: values one at a time.
import { createReadStream } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import type { CoId, CoValueHeader, SessionId, StoredSessionPiece } from "@cosync/core";
import { type DumpRecord, DumpFormatError, DumpTally, type ManifestRecord, parseDumpLine } from "./dump-format.js";

// Far above any record a dump holds (a piece carries about 100 KiB): a longer line is not a dump,
// and reading it whole would let a crafted file exhaust memory.
const MAX_LINE_CHARS = 64 * 1024 * 1024;

/** The file's lines, each at most MAX_LINE_CHARS (readline would buffer any length). */
async function* boundedLines(file: string): AsyncGenerator<string> {
  const decoder = new StringDecoder("utf8");
  let partial = "";
  for await (const chunk of createReadStream(file)) {
    const lines = (partial + decoder.write(chunk as Buffer)).split("\n");
    partial = lines.pop() ?? "";
    if (partial.length > MAX_LINE_CHARS) throw new DumpFormatError(`a line longer than ${MAX_LINE_CHARS} characters: not a cosync dump`);
    yield* lines;
  }
  partial += decoder.end();
  if (partial !== "") yield partial;
}

async function* dumpLines(file: string): AsyncGenerator<{ line: string; record: DumpRecord; lineNumber: number }> {
  let lineNumber = 0;
  for await (const line of boundedLines(file)) {
    lineNumber++;
    yield { line, record: parseDumpLine(line, lineNumber), lineNumber };
  }
}

/** Checks hash, counts and record order; returns the manifest. Throws DumpFormatError naming the problem. */
export async function checkDumpIntegrity(file: string, onLine?: (bytes: number) => void): Promise<ManifestRecord> {
  const tally = new DumpTally();
  let manifest: ManifestRecord | undefined;
  let current: CoId | undefined;
  for await (const { line, record, lineNumber } of dumpLines(file)) {
    if (record.kind === "manifest") onLine?.(line.length + 1);
    if (manifest !== undefined) throw new DumpFormatError(`line ${lineNumber}: data after the manifest`);
    if (lineNumber === 1 && record.kind !== "cosync-dump") throw new DumpFormatError("line 1: not a cosync dump (no dump header)");
    if (lineNumber > 1 && record.kind === "cosync-dump") throw new DumpFormatError(`line ${lineNumber}: a second dump header`);
    if (record.kind === "manifest") {
      manifest = record;
      continue;
    }
    if (record.kind === "covalue") current = record.id;
    if (record.kind === "piece" && record.id !== current) throw new DumpFormatError(`line ${lineNumber}: a piece of ${record.id} outside its value`);
    tally.add(line, record);
    onLine?.(line.length + 1);
  }
  if (manifest === undefined) throw new DumpFormatError("no manifest at the end: the dump is incomplete (cut short?)");
  const computed = tally.manifest();
  if (computed.sha256 !== manifest.sha256) throw new DumpFormatError(`SHA-256 mismatch: the manifest says ${manifest.sha256}, the content hashes to ${computed.sha256} (altered or corrupt)`);
  for (const field of ["covalues", "sessions", "transactions"] as const) {
    if (computed[field] !== manifest[field]) throw new DumpFormatError(`the manifest counts ${manifest[field]} ${field} but the dump holds ${computed[field]}`);
  }
  return manifest;
}

/** One value of a dump: its header, tombstone flag, and its pieces as they are read. */
export interface DumpValue {
  readonly id: CoId;
  readonly header: CoValueHeader;
  readonly deleted: boolean;
  readonly pieces: ReadonlyArray<Readonly<Record<SessionId, StoredSessionPiece>>>;
}

/** The values of a dump in order. Each value's pieces are held in memory while it is yielded. */
export async function* readDumpValues(file: string): AsyncGenerator<DumpValue> {
  let current: { id: CoId; header: CoValueHeader; deleted: boolean; pieces: Array<Readonly<Record<SessionId, StoredSessionPiece>>> } | undefined;
  for await (const { record } of dumpLines(file)) {
    if (record.kind === "piece") current?.pieces.push(record.sessions);
    if (record.kind === "covalue" || record.kind === "manifest") {
      if (current !== undefined) yield current;
      current = record.kind === "covalue" ? { id: record.id, header: record.header, deleted: record.deleted, pieces: [] } : undefined;
    }
  }
}
