import type { LoadMessage } from "../protocol/messages.js";
import { knownStateCovers, sessionsOf } from "./known-state.js";
import type { PeerState } from "./peer-state.js";
import { sendNewContent } from "./send-content.js";
import type { SyncManager } from "./sync-manager.js";

/**
 * A peer subscribes and tells us what it has. Always answered: with what it lacks (dependencies
 * first), else with our `known`; `known {header:false}` when nobody has the value; and, as a
 * cosync extension that cojson ignores, `done` once everything it asked for was sent.
 */
export async function handleLoad(sync: SyncManager, peer: PeerState, message: LoadMessage): Promise<void> {
  try {
    await answerLoad(sync, peer, message);
  } catch (error) {
    // Only storage can fail here: the peer hears of it rather than waiting for an answer.
    sync.storageFailed(error, message.id, peer);
  }
}

async function answerLoad(sync: SyncManager, peer: PeerState, message: LoadMessage): Promise<void> {
  const node = sync.node;
  peer.setKnown({ id: message.id, header: message.header, sessions: message.sessions });
  const entry = node.entry(message.id);
  entry.lastAccessed = node.clock.now();
  if (entry.state !== "available" && node.storage !== undefined && message.header) {
    // Cheap path: the peer may already have everything storage has; no need to load the value.
    const stored = entry.state === "unloaded" ? entry.lastKnown : await node.storage.knownState(message.id);
    if (stored !== undefined && entry.log === undefined && knownStateCovers(message, stored)) {
      peer.keepOnlyHeld(message.id, sessionsOf(stored));
      peer.send({ action: "known", ...stored });
      return;
    }
  }
  if (entry.state !== "available") await sync.makeAvailable(entry, peer);
  // Its claims about sessions not held here are dropped now that we know what we hold.
  peer.keepOnlyHeld(message.id, entry.log?.sessions);
  if (entry.log === undefined) {
    peer.send({ action: "known", id: message.id, header: false, sessions: {} });
    // Nobody has it: keep no entry for an id a peer merely named (hostile loads must not grow
    // memory), and only a bounded number of its subscriptions to values nobody has (yet).
    node.forgetIfUnused(entry);
    peer.subscribedToMissing(message.id);
    return;
  }
  // A `known` reply names only committed state: a peer that sees its content in it stops
  // resending. So the state is taken now, with the promise of the appends holding it, and named
  // once they committed — content applied while we wait is committed later and is not named
  // (answer from storage if an append failed).
  const ours = entry.log.knownState();
  if (!(await entry.durable) || entry.log === undefined) {
    const stored = node.storage === undefined ? undefined : await node.storage.knownState(message.id);
    peer.send({ action: "known", ...(stored ?? { id: message.id, header: false, sessions: {} }) });
    return;
  }
  const sent = sendNewContent(node, peer, entry);
  // Tell the peer what we hold when we sent nothing, or when it already holds something: content
  // alone only names the sessions it carries, and a peer reconnecting after dropped writes needs
  // our full state to know what to push and what we already acknowledged.
  if (!sent || Object.keys(message.sessions).length > 0) peer.send({ action: "known", ...ours });
  if (sent) peer.send({ action: "done", id: message.id });
}
