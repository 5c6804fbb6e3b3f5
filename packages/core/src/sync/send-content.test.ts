import { loadNodeCryptoProvider } from "@cosync/crypto";
import { expect, test } from "vitest";
import { CoCrypto } from "../crypto/co-crypto.js";
import type { CoId } from "../ids/co-id.js";
import { createAccountNode } from "../node/create-account-node.js";
import type { OutgoingMessage, PeerChannel } from "../transport/peer-channel.js";
import { PeerState } from "./peer-state.js";
import { sendNewContent } from "./send-content.js";

/** A client peer that records the ids of the content it is sent. */
function recordingClient(): { readonly peer: PeerState; readonly sentIds: () => string[] } {
  const sent: OutgoingMessage[] = [];
  const channel: PeerChannel = {
    peerId: "client",
    role: "client",
    persistent: false,
    acceptsErrorNotices: true,
    closed: new Promise(() => {}),
    send: (message) => {
      sent.push(message);
    },
    onMessage: () => () => {},
    close: () => {},
  };
  return { peer: new PeerState(channel), sentIds: () => sent.flatMap((m) => ("action" in m && m.action === "content" ? [m.id] : [])) };
}

test("dependencies are remembered per log only until it grows: a parent group added later is still sent first (issue 8)", async () => {
  const crypto = new CoCrypto(await loadNodeCryptoProvider());
  const node = createAccountNode({ crypto, gc: false, name: "writer" });
  const child = node.createGroup();
  const map = child.createMap({ a: 1 });
  node.sealLocalWrites();
  const { peer, sentIds } = recordingClient();
  const entryOf = (id: CoId) => node.peekEntry(id) ?? expect.fail(`${id} is not in memory`);

  sendNewContent(node, peer, entryOf(map.id));
  expect(sentIds()).toEqual([node.accountId, child.id, map.id]);
  // Asked again with nothing new: nothing is sent (the remembered dependencies are all held).
  sendNewContent(node, peer, entryOf(map.id));
  expect(sentIds()).toHaveLength(3);

  // The child group gains a parent: a new dependency of the child, sent before the child's news.
  const parent = node.createGroup();
  child.extend(parent);
  map.set("b", 2);
  node.sealLocalWrites();
  sendNewContent(node, peer, entryOf(map.id));
  const later = sentIds().slice(3);
  expect(later).toContain(parent.id);
  expect(later.indexOf(parent.id)).toBeLessThan(later.indexOf(child.id));
  expect(later.at(-1)).toBe(map.id);
});
