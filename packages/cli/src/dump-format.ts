// The `.cosync` dump: JSON lines, one record per line, streamable both ways.
//
//   {"kind":"cosync-dump","version":1,"createdAt":"…","source":"sqlite"}
//   {"kind":"covalue","id":"co_z…","header":{…},"deleted":false}
//   {"kind":"piece","id":"co_z…","sessions":{"<session>":{"after":0,"transactions":["<tx json>",…],"lastSignature":"signature_z…"}}}
//   … (every piece of that value, cut at stored signatures, then the next value) …
//   {"kind":"manifest","covalues":N,"sessions":N,"transactions":N,"sha256":"<hex>"}
//
// Transactions are the canonical JSON text storage keeps, so signatures verify against them as
// they are. Accounts come first (their headers name the signers of every account session), then groups, then the rest. `sha256` covers every byte
// before the manifest line; a dump without a manifest (cut short) is refused.
import { createHash, type Hash } from "node:crypto";
import type { CoId, CoValueHeader, SessionId, StoredSessionPiece } from "@cosync/core";

export const DUMP_VERSION = 1;

export interface DumpHeaderRecord {
  readonly kind: "cosync-dump";
  readonly version: number;
  readonly createdAt: string;
  readonly source: string;
}

export interface CoValueRecord {
  readonly kind: "covalue";
  readonly id: CoId;
  readonly header: CoValueHeader;
  /** Tombstoned in the source: only its delete sessions follow. */
  readonly deleted: boolean;
}

export interface PieceRecord {
  readonly kind: "piece";
  readonly id: CoId;
  readonly sessions: Readonly<Record<SessionId, StoredSessionPiece>>;
}

export interface ManifestRecord {
  readonly kind: "manifest";
  readonly covalues: number;
  readonly sessions: number;
  readonly transactions: number;
  readonly sha256: string;
}

export type DumpRecord = DumpHeaderRecord | CoValueRecord | PieceRecord | ManifestRecord;

/** Counts a dump's manifest carries, tallied the same way by the writer and the reader. */
export class DumpTally {
  covalues = 0;
  transactions = 0;
  readonly #sessions = new Set<string>();
  readonly #hash: Hash = createHash("sha256");

  get sessions(): number {
    return this.#sessions.size;
  }

  /** Hashes a line (with its newline) and counts what it holds. */
  add(line: string, record: DumpRecord): void {
    this.#hash.update(line);
    this.#hash.update("\n");
    if (record.kind === "covalue") this.covalues++;
    if (record.kind === "piece") {
      for (const [sessionId, piece] of Object.entries(record.sessions)) {
        this.#sessions.add(`${record.id} ${sessionId}`);
        this.transactions += piece.transactions.length;
      }
    }
  }

  manifest(): ManifestRecord {
    return { kind: "manifest", covalues: this.covalues, sessions: this.sessions, transactions: this.transactions, sha256: this.#hash.copy().digest("hex") };
  }
}

/** Parses one line, checking its shape enough that later code can trust the fields it reads. */
export function parseDumpLine(line: string, lineNumber: number): DumpRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new DumpFormatError(`line ${lineNumber}: not JSON`);
  }
  const record = value as Partial<Record<string, unknown>> | null;
  const kind = record?.kind;
  const fail = (what: string): never => {
    throw new DumpFormatError(`line ${lineNumber}: ${what}`);
  };
  if (record === null || typeof record !== "object") return fail("not a record");
  switch (kind) {
    case "cosync-dump":
      if (record.version !== DUMP_VERSION) fail(`dump version ${String(record.version)}; this cosync reads version ${DUMP_VERSION}`);
      break;
    case "covalue":
      if (typeof record.id !== "string" || typeof record.header !== "object" || record.header === null || typeof record.deleted !== "boolean") fail("a malformed covalue record");
      break;
    case "piece": {
      if (typeof record.id !== "string" || typeof record.sessions !== "object" || record.sessions === null) fail("a malformed piece record");
      for (const piece of Object.values(record.sessions as object) as Array<Partial<StoredSessionPiece> | null>) {
        if (piece === null || typeof piece !== "object" || !Number.isSafeInteger(piece.after) || (piece.after as number) < 0) fail("a session piece without a valid 'after'");
        if (!Array.isArray(piece?.transactions) || !piece.transactions.every((tx) => typeof tx === "string")) fail("a session piece whose transactions are not strings");
        if (typeof piece?.lastSignature !== "string") fail("a session piece without a signature");
      }
      break;
    }
    case "manifest":
      for (const field of ["covalues", "sessions", "transactions"]) if (!Number.isSafeInteger(record[field])) fail(`a manifest without a count of ${field}`);
      if (typeof record.sha256 !== "string") fail("a manifest without a sha256");
      break;
    default:
      fail(`unknown record kind ${JSON.stringify(kind)}`);
  }
  return record as unknown as DumpRecord;
}

/** The dump is malformed, cut short or altered (the message says where). */
export class DumpFormatError extends Error {
  override readonly name = "DumpFormatError";
}
