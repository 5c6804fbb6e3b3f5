import { type CoValueHeader, validateHeader } from "../covalues/header.js";
import type { CoId } from "../ids/co-id.js";
import type { Signature } from "../ids/crypto-strings.js";
import { isDeleteSessionId, type SessionId } from "../ids/session-id.js";
import { emptyKnownState, type KnownState } from "../sync/known-state.js";
import {
  advanceCheckpoint,
  appendPieceProblem,
  type LoadSegment,
  packStoredPieces,
  planLoadSegments,
  type StoredCheckpoint,
  transactionTextProblem,
  transactionTextSize,
  unseenTransactions,
} from "./session-pieces.js";
import {
  type AppendChunk,
  type AppendOutcome,
  type StorageAdapter,
  StorageError,
  type StoredCoValueSummary,
  type StoredPiece,
  type StoredSessionSummary,
  type UnsyncedEntry,
} from "./storage-adapter.js";

/**
 * The contents of an in-memory storage, kept apart from the adapter so a test can close an
 * adapter and "reopen" the same data with `createMemoryStorage({ store })`. Opaque.
 */
export interface MemoryStore {
  readonly kind: "MemoryStore";
}

interface MemorySession {
  readonly transactions: string[];
  lastSignature: Signature;
  hashState: Uint8Array | undefined;
  sizeSinceCheckpoint: number;
  readonly checkpoints: StoredCheckpoint[];
}

interface MemoryCoValue {
  readonly header: CoValueHeader;
  readonly sessions: Map<SessionId, MemorySession>;
}

interface MemoryState extends MemoryStore {
  readonly coValues: Map<CoId, MemoryCoValue>;
  readonly unsynced: Map<string, UnsyncedEntry>;
  readonly counters: Map<string, number>;
  readonly deleted: Set<CoId>;
}

/** Creates an empty store for `createMemoryStorage`. */
export function createMemoryStore(): MemoryStore {
  const state: MemoryState = { kind: "MemoryStore", coValues: new Map(), unsynced: new Map(), deleted: new Set(), counters: new Map() };
  return state;
}

/** Options of `createMemoryStorage`. */
export interface MemoryStorageOptions {
  /** Data to serve; a fresh store if absent. Share one store between adapters to simulate a restart. */
  readonly store?: MemoryStore;
}

/**
 * Creates an in-memory StorageAdapter: the reference implementation of the contract, used by
 * tests and by nodes that need no persistence. Nothing survives the process.
 */
export function createMemoryStorage(options: MemoryStorageOptions = {}): StorageAdapter {
  return new MemoryStorage((options.store ?? createMemoryStore()) as MemoryState);
}

// Headers and hash states are copied in and out so no caller can reach into stored data.
const copyHeader = (header: CoValueHeader): CoValueHeader => JSON.parse(JSON.stringify(header)) as CoValueHeader;
const copyBytes = (bytes: Uint8Array | undefined): Uint8Array | undefined => (bytes === undefined ? undefined : bytes.slice());
const unsyncedKey = (entry: UnsyncedEntry): string => JSON.stringify([entry.id, entry.peerId]);

/** A session's data after an append, computed before anything is written. */
interface StagedSession {
  readonly sessionId: SessionId;
  readonly added: readonly string[];
  readonly lastSignature: Signature;
  readonly hashState: Uint8Array | undefined;
}

class MemoryStorage implements StorageAdapter {
  #closed = false;
  /** Each append takes effect synchronously, in call order. */
  readonly appendsInOrder = true;

  constructor(private readonly state: MemoryState) {}

  async knownState(id: CoId): Promise<KnownState | undefined> {
    this.#assertOpen();
    const coValue = this.state.coValues.get(id);
    return coValue === undefined ? undefined : knownStateOf(id, coValue);
  }

  async summary(id: CoId): Promise<StoredCoValueSummary | undefined> {
    this.#assertOpen();
    const coValue = this.state.coValues.get(id);
    if (coValue === undefined) return undefined;
    const sessions: Record<SessionId, StoredSessionSummary> = {};
    for (const [sessionId, session] of coValue.sessions) {
      const hashState = copyBytes(session.hashState);
      const base = { count: session.transactions.length, lastSignature: session.lastSignature };
      sessions[sessionId] = hashState === undefined ? base : { ...base, hashState };
    }
    return { header: copyHeader(coValue.header), sessions };
  }

  async *load(id: CoId, since?: KnownState): AsyncGenerator<StoredPiece> {
    this.#assertOpen();
    const coValue = this.state.coValues.get(id);
    if (coValue === undefined) return;
    const extents = [...coValue.sessions].map(([sessionId, session]) => ({
      sessionId,
      count: session.transactions.length,
      lastSignature: session.lastSignature,
      checkpoints: session.checkpoints,
    }));
    const segments = planLoadSegments(extents, since?.sessions);
    const header = since?.header ? undefined : copyHeader(coValue.header);
    yield* packStoredPieces(id, header, segments, async (segment: LoadSegment) => {
      this.#assertOpen();
      // Look the session up again: markDeleted may have erased it while the caller was iterating.
      const session = this.state.coValues.get(id)?.sessions.get(segment.sessionId);
      return session?.transactions.slice(segment.after, segment.after + segment.count);
    });
  }

  async append(chunk: AppendChunk): Promise<AppendOutcome> {
    this.#assertOpen();
    const existing = this.state.coValues.get(chunk.id);
    const staged = this.#stage(chunk, existing);
    if (staged === "Gap") {
      return { type: "Gap", knownState: existing === undefined ? emptyKnownState(chunk.id) : knownStateOf(chunk.id, existing) };
    }
    // Everything is validated; from here on nothing can throw, so the append is all-or-nothing.
    let coValue = existing;
    if (coValue === undefined) {
      coValue = { header: copyHeader(chunk.header as CoValueHeader), sessions: new Map() };
      this.state.coValues.set(chunk.id, coValue);
    }
    for (const { sessionId, added, lastSignature, hashState } of staged) {
      let session = coValue.sessions.get(sessionId);
      if (session === undefined) {
        session = { transactions: [], lastSignature, hashState: undefined, sizeSinceCheckpoint: 0, checkpoints: [] };
        coValue.sessions.set(sessionId, session);
      }
      for (const tx of added) session.transactions.push(tx);
      session.lastSignature = lastSignature;
      session.hashState = copyBytes(hashState);
      const next = advanceCheckpoint(session.sizeSinceCheckpoint, transactionTextSize(added));
      if (next.checkpoint) session.checkpoints.push({ idx: session.transactions.length - 1, signature: lastSignature });
      session.sizeSinceCheckpoint = next.sizeSinceCheckpoint;
    }
    return { type: "Stored", knownState: knownStateOf(chunk.id, coValue) };
  }

  /** Validates the whole chunk and computes what each session gains, without writing. */
  #stage(chunk: AppendChunk, existing: MemoryCoValue | undefined): StagedSession[] | "Gap" {
    if (existing === undefined) {
      if (chunk.header === undefined) return "Gap";
      const header = validateHeader(chunk.header);
      if (!header.ok) throw new StorageError(`append: ${header.error}`, { coId: chunk.id });
    }
    const deleted = this.state.deleted.has(chunk.id);
    const staged: StagedSession[] = [];
    let gap = false;
    for (const [sessionId, piece] of Object.entries(chunk.sessions) as [SessionId, AppendChunk["sessions"][SessionId]][]) {
      const problem = appendPieceProblem(sessionId, piece);
      if (problem !== undefined) throw new StorageError(`append: ${problem}`, { coId: chunk.id });
      piece.transactions.forEach((tx, index) => {
        const txProblem = transactionTextProblem(sessionId, index, tx);
        if (txProblem !== undefined) throw new StorageError(`append: ${txProblem}`, { coId: chunk.id });
      });
      if (deleted && !isDeleteSessionId(sessionId)) gap = true;
      const added = unseenTransactions(piece, existing?.sessions.get(sessionId)?.transactions.length ?? 0);
      if (added === "Gap") gap = true;
      else if (added.length > 0) staged.push({ sessionId, added, lastSignature: piece.lastSignature, hashState: piece.hashState });
    }
    return gap ? "Gap" : staged;
  }

  async addToCounters(deltas: ReadonlyMap<string, number>): Promise<void> {
    this.#assertOpen();
    for (const [name, delta] of deltas) this.state.counters.set(name, (this.state.counters.get(name) ?? 0) + delta);
  }

  async readCounters(prefix: string): Promise<Map<string, number>> {
    this.#assertOpen();
    return new Map([...this.state.counters].filter(([name]) => name.startsWith(prefix)));
  }

  async markUnsynced(entries: readonly UnsyncedEntry[]): Promise<void> {
    this.#assertOpen();
    for (const entry of entries) this.state.unsynced.set(unsyncedKey(entry), { id: entry.id, peerId: entry.peerId });
  }

  async clearUnsynced(entries: readonly UnsyncedEntry[]): Promise<void> {
    this.#assertOpen();
    for (const entry of entries) this.state.unsynced.delete(unsyncedKey(entry));
  }

  async listUnsynced(): Promise<UnsyncedEntry[]> {
    this.#assertOpen();
    return [...this.state.unsynced.values()].map((entry) => ({ ...entry }));
  }

  async markDeleted(id: CoId): Promise<void> {
    this.#assertOpen();
    this.state.deleted.add(id);
    const coValue = this.state.coValues.get(id);
    if (coValue === undefined) return;
    for (const sessionId of [...coValue.sessions.keys()]) {
      if (!isDeleteSessionId(sessionId)) coValue.sessions.delete(sessionId);
    }
  }

  async isDeleted(id: CoId): Promise<boolean> {
    this.#assertOpen();
    return this.state.deleted.has(id);
  }

  async listIds(after: CoId | undefined, limit: number): Promise<CoId[]> {
    this.#assertOpen();
    // Ids are ASCII, so JavaScript's string order is byte-wise.
    const ids = [...this.state.coValues.keys()].filter((id) => after === undefined || id > after).sort();
    return ids.slice(0, limit);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new StorageError("memory storage is closed");
  }
}

function knownStateOf(id: CoId, coValue: MemoryCoValue): KnownState {
  const sessions: Record<SessionId, number> = {};
  for (const [sessionId, session] of coValue.sessions) sessions[sessionId] = session.transactions.length;
  return { id, header: true, sessions };
}
