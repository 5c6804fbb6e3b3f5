import type { Priority } from "../covalues/header.js";
import type { CoId } from "../ids/co-id.js";
import type { SessionId } from "../ids/session-id.js";
import type { SessionPiece } from "../log/session-log.js";
import { transactionPayloadSize } from "../log/transaction.js";
import type { CoValueEntry } from "../node/co-value-entry.js";
import type { ErrorNotice } from "../protocol/messages.js";
import type { Cancel } from "../time/clock.js";
import type { PeerState } from "./peer-state.js";

/** How much unverifiable content may wait, and for how long (see ParkedContent). */
export interface ParkingLimits {
  /** How long a piece may wait for its signer's account before it is refused (default 60 s). */
  readonly parkTimeoutMs: number;
  /** Pieces one connection may have waiting at once (default 256). */
  readonly maxParkedPerPeer: number;
  /** Bytes (approximate) one connection may have waiting at once (default 4 MiB). */
  readonly maxParkedBytesPerPeer: number;
  /** Bytes (approximate) all connections together may have waiting (default 64 MiB). */
  readonly maxParkedBytes: number;
}

export const defaultParkingLimits: ParkingLimits = {
  parkTimeoutMs: 60_000,
  maxParkedPerPeer: 256,
  maxParkedBytesPerPeer: 4 * 1024 * 1024,
  maxParkedBytes: 64 * 1024 * 1024,
};

/** One session's piece waiting, unverified, for the CoValue (an account, or an owner group) that can verify it. */
export interface ParkedPiece {
  /** The value it belongs to. */
  readonly entry: CoValueEntry;
  /** The connection it came from (not its id: a new connection may reuse the id). */
  readonly peer: PeerState;
  readonly sessionId: SessionId;
  readonly piece: SessionPiece;
  readonly priority: Priority;
  readonly waitingFor: CoId;
  readonly bytes: number;
  cancelTimer: Cancel | undefined;
}

/** What happens to a piece taken out of the lot. */
export interface ParkingCallbacks {
  /** Its dependency arrived: verify it now (pieces of one value come in arrival order). */
  replay(entry: CoValueEntry, pieces: readonly ParkedPiece[]): void;
  /** It is refused (timeout, or its sender says it lacks the dependency too). */
  refuse(peer: PeerState, error: ErrorNotice["error"]): void;
  /** Asks the sender (and our servers) for the dependency, once per connection and dependency. */
  request(peer: PeerState, dependency: CoId): void;
  setTimeout(callback: () => void, ms: number): Cancel;
  /** Nothing waits for `dependency` any more. */
  released(dependency: CoId): void;
}

// Per-transaction overhead of a piece beyond its payload (field names, madeAt, signature share).
const TRANSACTION_OVERHEAD_BYTES = 64;
const PIECE_OVERHEAD_BYTES = 160;

/** Approximate memory a parked piece holds, charged to its connection. */
export function parkedBytesOf(piece: SessionPiece): number {
  let bytes = PIECE_OVERHEAD_BYTES;
  for (const tx of piece.newTransactions) bytes += transactionPayloadSize(tx) + (tx.meta?.length ?? 0) + TRANSACTION_OVERHEAD_BYTES;
  return bytes;
}

/**
 * Content whose signature can't be checked yet because the account that signed it (or, for a
 * delete session, the group that decides who may delete) is not known here. Each session's piece
 * waits alone — never holding back other sessions, other messages or other peers' content of the
 * same value — charged to the connection that sent it and bounded per connection, in total and in
 * time. A sender that says it lacks the dependency itself has its pieces refused at once.
 * Pieces are indexed by dependency and by connection, so taking one out costs O(1) and no event
 * (arrival, timeout, a closed connection) walks more than the pieces it concerns.
 */
export class ParkedContent {
  readonly #limits: ParkingLimits;
  readonly #callbacks: ParkingCallbacks;
  readonly #byDependency = new Map<CoId, Set<ParkedPiece>>();
  readonly #byPeer = new Map<PeerState, { readonly pieces: Set<ParkedPiece>; bytes: number; readonly requested: Set<CoId> }>();
  #bytes = 0;
  #count = 0;

  constructor(limits: ParkingLimits, callbacks: ParkingCallbacks) {
    this.#limits = limits;
    this.#callbacks = callbacks;
  }

  /** Pieces waiting, across all connections. */
  get count(): number {
    return this.#count;
  }

  /** Approximate bytes waiting, across all connections. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether any piece waits for `id`. */
  waitsFor(id: CoId): boolean {
    return this.#byDependency.has(id);
  }

  /** Where `peer`'s waiting pieces of `sessionId` end (a later piece of that session queues behind them). */
  parkedEnd(entry: CoValueEntry, peer: PeerState, sessionId: SessionId): number | undefined {
    let end: number | undefined;
    for (const parked of this.#byPeer.get(peer)?.pieces ?? []) {
      if (parked.entry !== entry || parked.sessionId !== sessionId) continue;
      end = Math.max(end ?? 0, parked.piece.after + parked.piece.newTransactions.length);
    }
    return end;
  }

  /** Parks a piece; returns why it was refused instead, if a bound is reached. */
  park(
    entry: CoValueEntry,
    peer: PeerState,
    sessionId: SessionId,
    piece: SessionPiece,
    priority: Priority,
    waitingFor: CoId,
  ): string | undefined {
    const bytes = parkedBytesOf(piece);
    const mine = this.#peerState(peer);
    const { maxParkedPerPeer, maxParkedBytesPerPeer, maxParkedBytes } = this.#limits;
    if (mine.pieces.size + 1 > maxParkedPerPeer || mine.bytes + bytes > maxParkedBytesPerPeer) {
      return `this connection already has ${mine.pieces.size} pieces (${mine.bytes} bytes) waiting for unknown accounts (limit ${maxParkedPerPeer} pieces, ${maxParkedBytesPerPeer} bytes)`;
    }
    if (this.#bytes + bytes > maxParkedBytes) {
      return `the server holds its limit of ${maxParkedBytes} bytes of content waiting for unknown accounts`;
    }
    const parked: ParkedPiece = { entry, peer, sessionId, piece, priority, waitingFor, bytes, cancelTimer: undefined };
    parked.cancelTimer = this.#callbacks.setTimeout(() => this.#expire(parked), this.#limits.parkTimeoutMs);
    entry.parked.add(parked);
    mine.pieces.add(parked);
    mine.bytes += bytes;
    this.#count++;
    this.#bytes += bytes;
    let waiting = this.#byDependency.get(waitingFor);
    if (waiting === undefined) {
      waiting = new Set();
      this.#byDependency.set(waitingFor, waiting);
    }
    waiting.add(parked);
    if (!mine.requested.has(waitingFor)) {
      // Remembered only to avoid asking twice; bounded like the pieces themselves.
      if (mine.requested.size >= maxParkedPerPeer) mine.requested.clear();
      mine.requested.add(waitingFor);
      this.#callbacks.request(peer, waitingFor);
    }
    return undefined;
  }

  /** `id` became available: every piece waiting for it is taken out and replayed, per value in arrival order. */
  arrived(id: CoId): void {
    const waiting = this.#byDependency.get(id);
    if (waiting === undefined) return;
    const byEntry = new Map<CoValueEntry, ParkedPiece[]>();
    for (const parked of [...waiting]) {
      this.#remove(parked, false);
      const list = byEntry.get(parked.entry);
      if (list === undefined) byEntry.set(parked.entry, [parked]);
      else list.push(parked);
    }
    for (const [entry, pieces] of byEntry) this.#callbacks.replay(entry, pieces);
  }

  /** `peer` answered that it lacks `id` too: its pieces waiting for `id` can never verify. */
  senderLacks(peer: PeerState, id: CoId): void {
    for (const parked of [...(this.#byDependency.get(id) ?? [])]) {
      if (parked.peer !== peer) continue;
      this.#remove(parked, true);
      this.#callbacks.refuse(peer, {
        code: "UnknownSigner",
        id: parked.entry.id,
        session: parked.sessionId,
        message: `${id} is unknown here and the sender does not have it either; content not applied`,
      });
    }
  }

  /** A connection closed: what it parked can no longer be acknowledged (it resends on reconnecting). */
  dropPeer(peer: PeerState): void {
    for (const parked of [...(this.#byPeer.get(peer)?.pieces ?? [])]) this.#remove(parked, true);
    this.#byPeer.delete(peer);
  }

  #expire(parked: ParkedPiece): void {
    parked.cancelTimer = undefined;
    if (!parked.entry.parked.has(parked)) return;
    this.#remove(parked, true);
    this.#callbacks.refuse(parked.peer, {
      code: "UnknownSigner",
      id: parked.entry.id,
      session: parked.sessionId,
      message: `${parked.waitingFor} did not arrive within ${this.#limits.parkTimeoutMs} ms; content not applied`,
    });
  }

  /** Takes one piece out, releasing its budgets and timer; `release` reports a dependency nothing waits for any more. */
  #remove(parked: ParkedPiece, release: boolean): void {
    if (!parked.entry.parked.delete(parked)) return;
    parked.cancelTimer?.();
    parked.cancelTimer = undefined;
    this.#count--;
    this.#bytes -= parked.bytes;
    const theirs = this.#byPeer.get(parked.peer);
    if (theirs !== undefined) {
      theirs.pieces.delete(parked);
      theirs.bytes -= parked.bytes;
      if (theirs.pieces.size === 0) this.#byPeer.delete(parked.peer);
    }
    const waiting = this.#byDependency.get(parked.waitingFor);
    waiting?.delete(parked);
    if (waiting?.size === 0) {
      this.#byDependency.delete(parked.waitingFor);
      if (release) this.#callbacks.released(parked.waitingFor);
    }
  }

  #peerState(peer: PeerState): { readonly pieces: Set<ParkedPiece>; bytes: number; readonly requested: Set<CoId> } {
    let state = this.#byPeer.get(peer);
    if (state === undefined) {
      state = { pieces: new Set(), bytes: 0, requested: new Set() };
      this.#byPeer.set(peer, state);
    }
    return state;
  }
}
