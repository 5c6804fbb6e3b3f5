import type { CoCrypto } from "../crypto/co-crypto.js";
import type { CoValueHeader } from "../covalues/header.js";
import { priorityOfHeader } from "../covalues/header.js";
import type { SignerId } from "../ids/agent-id.js";
import type { CoId } from "../ids/co-id.js";
import type { SessionId } from "../ids/session-id.js";
import { withTransactionTexts } from "../protocol/encode-message.js";
import type { ContentMessage, SessionNewContent } from "../protocol/messages.js";
import { CHECKPOINT_BYTES } from "../storage/storage-adapter.js";
import type { KnownSessions, KnownState } from "../sync/known-state.js";
import type { Result } from "../result.js";
import { type AppliedPiece, type RejectedPiece, type SessionPiece, SessionLog, type VerifiedPiece } from "./session-log.js";

/** The JSON around one session's piece in a content message (keys, `after`, brackets). */
const PIECE_JSON_BYTES = 64;

/** Who must have signed a session, or which CoValue (an account) must be loaded to know. */
export type SignerResolution = { readonly signer: SignerId } | { readonly missingAccount: CoId };

/** Per-session outcome of adding received content. */
export type SessionOutcome =
  | { readonly type: "Applied"; readonly sessionId: SessionId; readonly applied: AppliedPiece }
  | { readonly type: "Rejected"; readonly rejection: RejectedPiece }
  | { readonly type: "MissingAccount"; readonly sessionId: SessionId; readonly account: CoId };

/**
 * Everything verified about one CoValue: its header and one `SessionLog` per session. Knows how to
 * verify received pieces and how to cut what it holds into content messages at signatures.
 */
export class VerifiedLog {
  readonly id: CoId;
  readonly header: CoValueHeader;
  readonly sessions = new Map<SessionId, SessionLog>();
  readonly #crypto: CoCrypto;

  constructor(id: CoId, header: CoValueHeader, crypto: CoCrypto) {
    this.id = id;
    this.header = header;
    this.#crypto = crypto;
  }

  knownState(): KnownState {
    const sessions: Record<SessionId, number> = {};
    for (const [sessionId, log] of this.sessions) sessions[sessionId] = log.count;
    return { id: this.id, header: true, sessions };
  }

  /** The known state counting only transactions a held signature covers (what can be sent). */
  signedKnownState(): KnownState {
    const sessions: Record<SessionId, number> = {};
    for (const [sessionId, log] of this.sessions) if (log.signedCount > 0) sessions[sessionId] = log.signedCount;
    return { id: this.id, header: true, sessions };
  }

  session(sessionId: SessionId): SessionLog {
    let log = this.sessions.get(sessionId);
    if (log === undefined) {
      log = new SessionLog(sessionId, this.#crypto.provider.createHashChain());
      this.sessions.set(sessionId, log);
    }
    return log;
  }

  /**
   * Verifies and applies each session of a received piece independently: a bad session is
   * refused whole without affecting the others (cojson's behaviour per session).
   */
  addPieces(
    pieces: Readonly<Record<SessionId, SessionPiece>>,
    resolveSigner: (sessionId: SessionId) => SignerResolution,
  ): SessionOutcome[] {
    const outcomes: SessionOutcome[] = [];
    for (const [sessionId, piece] of Object.entries(pieces) as [SessionId, SessionPiece][]) {
      const resolution = resolveSigner(sessionId);
      if ("missingAccount" in resolution) {
        outcomes.push({ type: "MissingAccount", sessionId, account: resolution.missingAccount });
        continue;
      }
      const result = this.verifySession(sessionId, piece, resolution.signer);
      if (!result.ok) outcomes.push({ type: "Rejected", rejection: result.error });
      else outcomes.push({ type: "Applied", sessionId, applied: this.commitSession(sessionId, result.value) });
    }
    return outcomes;
  }

  /** Checks one session's piece against what we hold without applying it (see SessionLog.verify). */
  verifySession(sessionId: SessionId, piece: SessionPiece, signer: SignerId): Result<VerifiedPiece, RejectedPiece> {
    const existing = this.sessions.get(sessionId);
    if (existing !== undefined) return existing.verify(piece, signer, this.#crypto);
    // A session we don't hold yet is checked against an empty chain and only created on commit.
    return new SessionLog(sessionId, this.#crypto.provider.createHashChain()).verify(piece, signer, this.#crypto);
  }

  /** Applies a piece `verifySession` accepted. */
  commitSession(sessionId: SessionId, verified: VerifiedPiece): AppliedPiece {
    if (verified.transactions.length === 0) return { from: verified.from, transactions: [], serialized: [] };
    return this.session(sessionId).commit(verified);
  }

  /**
   * `expectContentUntil` of a multi-message answer: every session's signed count. It is only a hint
   * (a receiver shows the value as still streaming until it holds that much), so a value of so many
   * sessions that the list alone would exceed `maxBytes` goes without it rather than sending a
   * first message larger than a receiver accepts.
   */
  #streamingTarget(maxBytes: number): KnownSessions | undefined {
    let bytes = 0;
    for (const sessionId of this.sessions.keys()) {
      bytes += sessionId.length + 16;
      if (bytes > maxBytes) return undefined;
    }
    return this.signedKnownState().sessions as KnownSessions;
  }

  /**
   * What a peer that knows `known` lacks, as content messages cut only where a signature is held,
   * each about `CHECKPOINT_BYTES` on the wire at most (plus one piece: a piece is never split). The
   * header rides on the first message; a multi-message answer announces its end in `expectContentUntil`.
   */
  contentSince(known: KnownState | undefined, maxPayloadBytes = CHECKPOINT_BYTES): ContentMessage[] {
    const rounds: Array<Array<[SessionId, SessionNewContent, number]>> = [];
    for (const [sessionId, log] of this.sessions) {
      const theirs = known?.sessions[sessionId] ?? 0;
      if (log.signedCount <= theirs) continue;
      let from = theirs;
      const ends = log.pieceEndsAfter(theirs);
      for (const [round, end] of ends.entries()) {
        const signature = log.signatureAt(end - 1);
        if (signature === undefined) throw new Error(`no signature held at ${sessionId}[${end - 1}]`);
        // What the piece takes on the wire: its transactions' text plus the session id, the
        // signature and the JSON around them (so thousands of tiny sessions are cut too).
        const bytes = log.textSize(from, end) + sessionId.length + signature.length + PIECE_JSON_BYTES;
        let roundPieces = rounds[round];
        if (roundPieces === undefined) {
          roundPieces = [];
          rounds[round] = roundPieces;
        }
        const piece = { after: from, newTransactions: log.transactions.slice(from, end), lastSignature: signature };
        roundPieces.push([sessionId, withTransactionTexts(piece, log.serialized.slice(from, end)), bytes]);
        from = end;
      }
    }
    const priority = priorityOfHeader(this.header);
    const messages: Array<{ new: Record<SessionId, SessionNewContent>; bytes: number }> = [];
    for (const round of rounds) {
      let current: { new: Record<SessionId, SessionNewContent>; bytes: number } | undefined;
      for (const [sessionId, piece, bytes] of round) {
        if (current === undefined || (current.bytes > 0 && current.bytes + bytes > maxPayloadBytes)) {
          current = { new: {}, bytes: 0 };
          messages.push(current);
        }
        current.new[sessionId] = piece;
        current.bytes += bytes;
      }
    }
    const sendHeader = known?.header !== true;
    if (messages.length === 0) {
      return sendHeader ? [{ action: "content", id: this.id, header: this.header, priority, new: {} }] : [];
    }
    const until = messages.length > 1 ? this.#streamingTarget(maxPayloadBytes / 2) : undefined;
    return messages.map((message, index): ContentMessage => {
      const base = { action: "content" as const, id: this.id, priority, new: message.new };
      if (index > 0) return base;
      const withHeader = sendHeader ? { ...base, header: this.header } : base;
      return until === undefined ? withHeader : { ...withHeader, expectContentUntil: until };
    });
  }
}

