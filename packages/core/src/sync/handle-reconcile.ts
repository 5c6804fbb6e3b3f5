import { base58Encode } from "../encoding/base58.js";
import { canonicalJsonOf } from "../encoding/canonical-json.js";
import { utf8Encode } from "../encoding/utf8.js";
import type { CoId } from "../ids/co-id.js";
import type { ReconcileMessage } from "../protocol/messages.js";
import type { KnownState } from "./known-state.js";
import type { PeerState } from "./peer-state.js";
import type { SyncManager } from "./sync-manager.js";

/** cojson's reconcile short hash of a known state's sessions: `shortHash_z` + base58(BLAKE3(canonical JSON)[0..19]). */
export function reconcileShortHash(sessions: KnownState["sessions"], blake3: (bytes: Uint8Array) => Uint8Array): string {
  return `shortHash_z${base58Encode(blake3(utf8Encode(canonicalJsonOf(sessions))).subarray(0, 19))}`;
}

/**
 * Full storage reconciliation from a client with storage: for each value it names (once), a
 * `load` with what we hold if we lack it or hold a different state (so the client pushes what we
 * miss), then `reconcile-ack` for the batch. Values we hold identically cost no message.
 */
export async function handleReconcile(sync: SyncManager, peer: PeerState, message: ReconcileMessage): Promise<void> {
  const node = sync.node;
  const blake3 = (bytes: Uint8Array) => node.crypto.provider.blake3(bytes);
  const seen = new Set<CoId>();
  for (const [id, theirs] of message.values) {
    if (seen.has(id)) continue;
    seen.add(id);
    let ours: KnownState | undefined = node.peekEntry(id)?.log?.knownState();
    try {
      ours ??= await node.storage?.knownState(id);
    } catch (error) {
      sync.storageFailed(error, id, peer);
      return;
    }
    if (ours !== undefined && reconcileShortHash(ours.sessions, blake3) === theirs) continue;
    peer.send({ action: "load", ...(ours ?? { id, header: false, sessions: {} }) });
  }
  peer.send({ action: "reconcile-ack", id: message.id });
}
