import { idForHeader } from "../covalues/header.js";
import type { CoId } from "../ids/co-id.js";
import { isDeleteSessionId, type SessionId, sessionOwner } from "../ids/session-id.js";
import { VerifiedLog } from "../log/verified-log.js";
import type { CoValueEntry } from "../node/co-value-entry.js";
import { chunkForStorage } from "../node/storage-bridge.js";
import type { ContentMessage } from "../protocol/messages.js";
import { combineKnownStates, type KnownState } from "./known-state.js";
import { filterForDeletion } from "./deletion.js";
import type { PeerState } from "./peer-state.js";
import type { SyncManager } from "./sync-manager.js";

/**
 * CoValues this message needs in memory before it can be verified: accounts that signed its
 * sessions, and for a deletion the owner group (only an admin of it may delete).
 */
function missingDependencies(sync: SyncManager, entry: CoValueEntry, message: ContentMessage): CoId[] {
  const missing: CoId[] = [];
  const sessionIds = Object.keys(message.new) as SessionId[];
  for (const sessionId of sessionIds) {
    const owner = sessionOwner(sessionId);
    if (!owner.startsWith("co_z") || owner === message.id) continue;
    if (sync.node.peekEntry(owner as CoId)?.log === undefined) missing.push(owner as CoId);
  }
  const ruleset = entry.log?.header.ruleset;
  if (ruleset?.type === "ownedByGroup" && sessionIds.some(isDeleteSessionId) && sync.node.peekEntry(ruleset.group)?.log === undefined) {
    missing.push(ruleset.group);
  }
  return missing;
}

/**
 * New transactions from a peer (spec §5 handleNewContent), cosync's way: verified per session,
 * applied in memory at once and forwarded to subscribers, acknowledged with `known` only after
 * storage committed them; anything refused gets an explicit error notice and changes nothing.
 */
export async function handleContent(sync: SyncManager, peer: PeerState, message: ContentMessage): Promise<void> {
  const node = sync.node;
  const entry = node.entry(message.id);
  entry.lastAccessed = node.clock.now();
  if (entry.parked.length > 0) {
    // Earlier content of this value waits for its signers; keep this one behind it (bounded).
    sync.parkBehind(entry, peer, message);
    return;
  }
  if (entry.log === undefined) await node.loadFromStorage(entry);
  let headerIsNew = false;
  if (entry.log === undefined) {
    if (message.header === undefined) {
      peer.send({ action: "known", isCorrection: true, id: message.id, header: false, sessions: {} });
      return;
    }
    if (idForHeader(message.header, (bytes) => node.crypto.provider.blake3(bytes)) !== message.id) {
      sync.refuse(peer, { code: "InvalidHeader", id: message.id, message: "header does not hash to the CoValue id" });
      return;
    }
    entry.log = new VerifiedLog(message.id, message.header, node.crypto);
    entry.state = "available";
    headerIsNew = true;
  }
  const missing = missingDependencies(sync, entry, message);
  for (const account of missing) await node.loadFromStorage(node.entry(account));
  const stillMissing = missing.filter((account) => node.peekEntry(account)?.log === undefined);
  if (stillMissing.length > 0) {
    if (headerIsNew) {
      // The header is verified (it hashes to the id): keep memory and storage in step.
      if (node.storage !== undefined) void node.persist(entry, { id: entry.id, header: message.header as NonNullable<ContentMessage["header"]>, sessions: {} });
      sync.entryBecameAvailable(entry);
    }
    sync.park(entry, peer, message, stillMissing);
    return;
  }
  applyContent(sync, peer, entry, message, headerIsNew);
}

/** The synchronous heart of content handling, also used to replay parked content. */
export function applyContent(
  sync: SyncManager,
  peer: PeerState,
  entry: CoValueEntry,
  message: ContentMessage,
  headerIsNew: boolean,
): void {
  const node = sync.node;
  const log = entry.log as VerifiedLog;
  const receivedAt = node.clock.now();
  const deletion = filterForDeletion(sync, peer, entry, message);
  const outcomes = log.addPieces(deletion.pieces, (sessionId) => node.resolveSigner(sessionId));
  const fromBySession = new Map<SessionId, number>();
  const sentByPeer: Record<SessionId, number> = {};
  let needsCorrection = false;
  for (const outcome of outcomes) {
    if (outcome.type === "Applied") {
      if (outcome.applied.transactions.length > 0) fromBySession.set(outcome.sessionId, outcome.applied.from);
      const piece = message.new[outcome.sessionId];
      if (piece !== undefined) sentByPeer[outcome.sessionId] = piece.after + piece.newTransactions.length;
    } else if (outcome.type === "MissingAccount") {
      sync.refuse(peer, { code: "UnknownSigner", id: message.id, session: outcome.sessionId, message: `signer account ${outcome.account} is unknown` });
    } else if (outcome.rejection.type === "Gap") {
      needsCorrection = true;
    } else {
      const { sessionId, after } = outcome.rejection;
      sync.refuse(peer, { code: "InvalidSignature", id: message.id, session: sessionId, message: `signature does not match the transactions after ${after}` });
    }
  }
  if (peer.isServer && message.expectContentUntil !== undefined) entry.streamingTarget = message.expectContentUntil;
  peer.mergeKnown({ id: message.id, header: true, sessions: { ...sentByPeer, ...deletion.skipped } });
  const changed = headerIsNew || fromBySession.size > 0;
  // Nothing new: the ack still waits until what we hold is committed (a duplicate of content whose
  // append is in flight, or failed, must not be acknowledged early).
  let durable: Promise<boolean> = entry.durable;
  if (changed) {
    if (node.storage !== undefined) durable = node.persist(entry, chunkForStorage(log, fromBySession, true));
    if (deletion.deletes && fromBySession.size > 0) node.markDeleted(entry);
    sync.entryBecameAvailable(entry);
    node.entryChanged(entry);
    sync.forward(entry, peer);
    sync.unsynced.markChanged(entry, peer);
  }
  // Captured now: the ack must name only what this append makes durable. A deleted value answers
  // with a "stop syncing" state: ours merged with what the peer sent, so it stops resending.
  const ourState: KnownState = entry.deleted
    ? combineKnownStates(log.knownState(), { id: message.id, header: true, sessions: { ...sentByPeer, ...deletion.skipped } })
    : log.knownState();
  void durable.then((committed) => {
    if (!committed) {
      sync.refuse(peer, { code: "StorageFailure", id: message.id, message: "storage could not commit this content; it was not acknowledged" });
      return;
    }
    sync.events.ackLatency?.(node.clock.now() - receivedAt);
    peer.send(needsCorrection ? { action: "known", isCorrection: true, ...ourState } : { action: "known", ...ourState });
  });
}
