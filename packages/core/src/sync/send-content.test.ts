import { loadNodeCryptoProvider } from "@cosync/crypto";
import { expect, test } from "vitest";
import { CoCrypto } from "../crypto/co-crypto.js";
import type { CoId } from "../ids/co-id.js";
import { createAccountNode } from "../node/create-account-node.js";
import { dependenciesOf } from "../node/dependencies.js";
import type { OutgoingMessage, PeerChannel } from "../transport/peer-channel.js";
import { PeerState } from "./peer-state.js";
import { ContentMemo, sendNewContent } from "./send-content.js";

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

// A fan-out creates its visited set only once a dependency must be sent: hostile dependency cycles
// (two groups naming each other as parent, an account naming a group that depends on it) still
// terminate, and each value is sent once, with and without a fan-out's ContentMemo.
test("dependency cycles terminate and send each value once", async () => {
  const crypto = new CoCrypto(await loadNodeCryptoProvider());
  const node = createAccountNode({ crypto, gc: false, name: "writer" });
  const account = node.accountId as CoId;
  const a = node.createGroup();
  const b = node.createGroup();
  a.extend(b);
  // Raw transactions extend() would refuse (evaluation refuses them; dependenciesOf lists them).
  node.get(b.id)?.writeTrusting([{ op: "set", key: `parent_${a.id}`, value: "extend" }]);
  node.get(account)?.writeTrusting([{ op: "set", key: b.id, value: "reader" }]);
  const map = a.createMap({ x: 1 });
  node.sealLocalWrites();
  const entryOf = (id: CoId) => node.peekEntry(id) ?? expect.fail(`${id} is not in memory`);
  const logOf = (id: CoId) => entryOf(id).log ?? expect.fail(`${id} has no log`);
  expect(dependenciesOf(logOf(b.id))).toContain(a.id);
  expect(dependenciesOf(logOf(a.id))).toContain(b.id);
  expect(dependenciesOf(logOf(account))).toContain(b.id);

  for (const memo of [undefined, new ContentMemo()]) {
    const fromMap = recordingClient();
    sendNewContent(node, fromMap.peer, entryOf(map.id), undefined, memo);
    expect([...fromMap.sentIds()].sort()).toEqual([account, a.id, b.id, map.id].sort());
    expect(fromMap.sentIds().at(-1)).toBe(map.id);
    const fromGroup = recordingClient();
    sendNewContent(node, fromGroup.peer, entryOf(a.id), undefined, memo);
    expect([...fromGroup.sentIds()].sort()).toEqual([account, a.id, b.id].sort());
  }
});
