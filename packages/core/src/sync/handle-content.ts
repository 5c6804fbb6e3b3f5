import { type CoValueHeader, idForHeader } from "../covalues/header.js";
import type { CoId } from "../ids/co-id.js";
import { isDeleteSessionId, type SessionId, sessionOwner } from "../ids/session-id.js";
import type { SessionPiece, VerifiedPiece } from "../log/session-log.js";
import { VerifiedLog } from "../log/verified-log.js";
import type { CoValueEntry } from "../node/co-value-entry.js";
import { chunkForStorage } from "../node/storage-bridge.js";
import type { ContentMessage, ErrorNotice } from "../protocol/messages.js";
import type { AdmissionVerdict } from "./admission.js";
import { combineKnownStates, type KnownState } from "./known-state.js";
import type { PeerState } from "./peer-state.js";
import type { SyncManager } from "./sync-manager.js";

/**
 * New transactions from a peer (cojson's handleNewContent), cosync's way. The rule, for every
 * message: nothing in it takes effect — storage, deletion, known state, forwarding, quota, memory
 * — before the part it depends on is verified.
 *
 * 1. A header is taken only if it hashes to the id and the admission policy accepts its bytes.
 * 2. A session whose signer account (or, for a delete session, owner group) is not known here
 *    waits alone (ParkedContent), bounded and charged to the sender; the rest go on at once.
 * 3. Every other session is verified on its own; only then is a delete session checked against
 *    who may delete, and each verified piece offered to the admission policy (quotas, rates).
 * 4. What was admitted is applied in memory, forwarded, and appended to storage at once (a busy
 *    server's appends share commits); it is acknowledged once the commit holding it is done.
 * Anything refused gets an explicit error notice naming the session, and changes nothing.
 */
export async function handleContent(sync: SyncManager, peer: PeerState, message: ContentMessage): Promise<void> {
  const node = sync.node;
  const entry = node.entry(message.id);
  entry.lastAccessed = node.clock.now();
  if (!(await sync.loadOrRefuse(entry, peer, entry.id))) return;
  const header = entry.log?.header ?? message.header;
  if (header === undefined) {
    peer.send({ action: "known", isCorrection: true, id: message.id, header: false, sessions: {} });
    node.forgetIfUnused(entry);
    return;
  }
  if (entry.log === undefined && idForHeader(header, (bytes) => node.crypto.provider.blake3(bytes)) !== message.id) {
    sync.refuse(peer, { code: "InvalidHeader", id: message.id, message: "header does not hash to the CoValue id" });
    node.forgetIfUnused(entry);
    return;
  }
  const waiting = await dependenciesToWaitFor(sync, peer, header, message);
  if (waiting === undefined) return;
  try {
    let headerAdmission: AdmissionVerdict | undefined;
    if (entry.log === undefined) {
      // Re-checked after the awaits: another peer may have brought the header meanwhile.
      headerAdmission = sync.admit(peer, { kind: "header", id: message.id, bytes: JSON.stringify(header).length, header });
      if (!headerAdmission.ok) {
        sync.refuse(peer, { code: headerAdmission.code, id: message.id, message: headerAdmission.message });
        node.forgetIfUnused(entry);
        return;
      }
      entry.log = new VerifiedLog(message.id, header, node.crypto);
      entry.state = "available";
    }
    const steps: Array<Record<SessionId, SessionPiece>> = [{}];
    for (const [sessionId, piece] of Object.entries(message.new) as [SessionId, SessionPiece][]) {
      const dependency = waiting.get(sessionId);
      if (dependency !== undefined) {
        parkPiece(sync, peer, entry, message, sessionId, piece, dependency);
        continue;
      }
      let step = steps[steps.length - 1] as Record<SessionId, SessionPiece>;
      if (Object.keys(step).length >= SESSIONS_PER_STEP) {
        step = {};
        steps.push(step);
      }
      step[sessionId] = piece;
    }
    // A message of very many sessions is verified a step at a time, letting other connections be
    // served in between (each step is acknowledged on its own).
    for (const [index, step] of steps.entries()) {
      if (index > 0) {
        await sync.yieldNow();
        if (entry.log === undefined) return; // evicted meanwhile (storage failed): the sender resends
      }
      applyContent(sync, peer, entry, message, step, index === 0 ? headerAdmission : undefined);
    }
  } finally {
    // Ids a peer merely named as signers keep no entry unless content now waits for them.
    for (const dependency of new Set(waiting.values())) sync.forgetUnlessAwaited(dependency);
  }
}

/**
 * Sessions that can't be verified yet, by the CoValue each waits for (looked for in storage first).
 * Undefined if storage failed (the peer was told).
 */
async function dependenciesToWaitFor(
  sync: SyncManager,
  peer: PeerState,
  header: CoValueHeader,
  message: ContentMessage,
): Promise<Map<SessionId, CoId> | undefined> {
  const node = sync.node;
  const needs = new Map<SessionId, CoId>();
  for (const sessionId of Object.keys(message.new) as SessionId[]) {
    const owner = sessionOwner(sessionId);
    if (owner.startsWith("co_z") && owner !== message.id && node.peekEntry(owner as CoId)?.log === undefined) {
      needs.set(sessionId, owner as CoId);
    } else if (isDeleteSessionId(sessionId) && header.ruleset.type === "ownedByGroup" && node.peekEntry(header.ruleset.group)?.log === undefined) {
      needs.set(sessionId, header.ruleset.group);
    }
  }
  for (const dependency of new Set(needs.values())) {
    if (!(await sync.loadOrRefuse(node.entry(dependency), peer, message.id))) {
      for (const named of new Set(needs.values())) sync.forgetUnlessAwaited(named);
      return undefined;
    }
  }
  for (const [sessionId, dependency] of needs) if (node.peekEntry(dependency)?.log !== undefined) needs.delete(sessionId);
  return needs;
}

// Sessions verified between two chances for other connections to be served.
const SESSIONS_PER_STEP = 64;

function parkPiece(
  sync: SyncManager,
  peer: PeerState,
  entry: CoValueEntry,
  message: ContentMessage,
  sessionId: SessionId,
  piece: SessionPiece,
  dependency: CoId,
): void {
  if (entry.deleted && !isDeleteSessionId(sessionId)) {
    sync.refuse(peer, { code: "Deleted", id: entry.id, session: sessionId, message: "this value is deleted: only delete sessions are kept; content not stored" });
    return;
  }
  // Junk that could never apply is refused before it waits: a piece must continue what we hold
  // (or what this sender already has waiting in that session).
  const held = Math.max(entry.log?.sessions.get(sessionId)?.count ?? 0, sync.parked.parkedEnd(entry, peer, sessionId) ?? 0);
  if (piece.after > held) {
    sync.refuse(peer, gapNotice(entry.id, sessionId, piece.after, held));
    return;
  }
  const refusal = sync.parked.park(entry, peer, sessionId, piece, message.priority, dependency);
  if (refusal !== undefined) sync.refuse(peer, { code: "RateLimited", id: entry.id, session: sessionId, message: `${refusal}; content not applied` });
}

function gapNotice(id: CoId, session: SessionId, after: number, held: number): ErrorNotice["error"] {
  return { code: "Gap", id, session, message: `content starts after transaction ${after} but ${held} of this session are held here; resend from ${held}` };
}

interface Verified {
  readonly sessionId: SessionId;
  readonly piece: SessionPiece;
  readonly verified: VerifiedPiece;
  readonly deletes: boolean;
}

/**
 * The synchronous heart of content handling: verify every ready piece, then check deletions and
 * admission, then apply, persist, forward, and acknowledge once committed.
 */
export function applyContent(
  sync: SyncManager,
  peer: PeerState,
  entry: CoValueEntry,
  message: ContentMessage,
  pieces: Readonly<Record<SessionId, SessionPiece>>,
  headerAdmission?: AdmissionVerdict,
): void {
  const node = sync.node;
  const log = entry.log as VerifiedLog;
  const receivedAt = node.clock.now();
  const verified: Verified[] = [];
  let needsCorrection = false;
  for (const [sessionId, piece] of Object.entries(pieces) as [SessionId, SessionPiece][]) {
    const resolution = node.resolveSigner(sessionId);
    if ("missingAccount" in resolution) {
      sync.refuse(peer, { code: "UnknownSigner", id: message.id, session: sessionId, message: `signer account ${resolution.missingAccount} is unknown` });
      continue;
    }
    const result = log.verifySession(sessionId, piece, resolution.signer);
    if (!result.ok) {
      if (result.error.type === "Gap") {
        needsCorrection = true;
        sync.refuse(peer, gapNotice(message.id, sessionId, piece.after, result.error.have));
      } else if (result.error.type === "Conflict") {
        const at = result.error.at;
        sync.refuse(peer, { code: "Conflict", id: message.id, session: sessionId, message: `transaction ${at} differs from the one held at that index (a forked session); nothing of it was stored` });
      } else sync.refuse(peer, { code: "InvalidSignature", id: message.id, session: sessionId, message: `signature does not match the transactions after ${piece.after}` });
      continue;
    }
    // Who may delete is judged only on a delete session whose own signature verified.
    let deletes = false;
    if (isDeleteSessionId(sessionId) && result.value.transactions.length > 0) {
      const check = node.checkDeletion(entry, sessionId, piece);
      if (check.type === "Rejected") {
        sync.refuse(peer, { code: "Forbidden", id: message.id, session: sessionId, message: `${check.reason}: ${check.message}` });
        continue;
      }
      deletes = check.type === "Delete";
    }
    verified.push({ sessionId, piece, verified: result.value, deletes });
  }
  // Sessions the sender proved it holds (signatures verified); a deleted value answers with them
  // merged into its state so the sender stops resending ("stop syncing", as cojson does).
  const provenBySender: Record<SessionId, number> = {};
  const fromBySession = new Map<SessionId, number>();
  const settles: Array<(stored: boolean) => void> = [];
  if (headerAdmission?.ok === true && headerAdmission.settle !== undefined) settles.push(headerAdmission.settle);
  let deletes = false;
  // Delete sessions first: whether the rest is dropped depends on a deletion actually admitted.
  verified.sort((a, b) => Number(isDeleteSessionId(b.sessionId)) - Number(isDeleteSessionId(a.sessionId)));
  for (const { sessionId, piece, verified: verifiedPiece, deletes: isDeletion } of verified) {
    const end = piece.after + piece.newTransactions.length;
    const fresh = verifiedPiece.transactions.length;
    if ((entry.deleted || deletes) && !isDeleteSessionId(sessionId)) {
      provenBySender[sessionId] = end;
      if (fresh > 0 && entry.deleted) {
        sync.refuse(peer, { code: "Deleted", id: message.id, session: sessionId, message: "this value is deleted: only delete sessions are kept; content not stored" });
      }
      continue;
    }
    if (fresh > 0) {
      let bytes = 0;
      for (const text of verifiedPiece.serialized) bytes += text.length;
      const verdict = sync.admit(peer, { kind: "session", id: message.id, sessionId, owner: sessionOwner(sessionId), transactions: fresh, bytes });
      if (!verdict.ok) {
        sync.refuse(peer, { code: verdict.code, id: message.id, session: sessionId, message: verdict.message });
        continue;
      }
      if (verdict.settle !== undefined) settles.push(verdict.settle);
      fromBySession.set(sessionId, log.commitSession(sessionId, verifiedPiece).from);
      if (isDeletion) deletes = true;
    }
    provenBySender[sessionId] = end;
  }
  if (peer.isServer && message.expectContentUntil !== undefined) entry.streamingTarget = message.expectContentUntil;
  peer.mergeKnown({ id: message.id, header: true, sessions: provenBySender });
  const changed = headerAdmission !== undefined || fromBySession.size > 0;
  // Nothing new: the ack still waits until what we hold is committed (a duplicate of content whose
  // append is in flight, or failed, must not be acknowledged early).
  let durable: Promise<boolean> = entry.durable;
  if (changed) {
    if (node.storage !== undefined) durable = node.persist(entry, chunkForStorage(log, fromBySession, true));
    peer.unacknowledged++;
    if (deletes) durable = node.markDeleted(entry);
    sync.entryBecameAvailable(entry);
    node.entryChanged(entry);
    sync.unsynced.markChanged(entry, peer);
    // Verified content goes to subscribers at once (batched per microtask), not after its commit:
    // measured, waiting doubled fan-out latency and saved nothing; early copies are harmless (a
    // subscriber holds validly signed content, and an unacknowledged writer resends).
    sync.forwardSoon(entry);
  }
  // Captured now: the ack must name only what this append makes durable.
  const ourState: KnownState = entry.deleted
    ? combineKnownStates(log.knownState(), { id: message.id, header: true, sessions: provenBySender })
    : log.knownState();
  // `durable` never rejects (persist and markDeleted catch storage errors); a throwing settle hook
  // or transport must still not become an unhandled rejection.
  durable
    .then((committed) => {
      if (changed) peer.settledOne();
      for (const settle of settles) settle(committed);
      if (!committed) {
        sync.refuse(peer, { code: "StorageFailure", id: message.id, message: "storage could not commit this content; it was not acknowledged" });
        return;
      }
      sync.events.ackLatency?.(node.clock.now() - receivedAt);
      peer.send(needsCorrection ? { action: "known", isCorrection: true, ...ourState } : { action: "known", ...ourState });
    })
    .catch((error: unknown) => node.logger.error({ err: error, id: message.id, peer: peer.id }, "acknowledging content failed"));
}
