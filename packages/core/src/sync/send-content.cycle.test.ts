// Review of the lazily created visited set (sendNewContent): hostile dependency cycles — two groups
// naming each other as parent, an account naming a group that its own sessions make depend on it —
// still terminate, and each value is sent once, with and without a fan-out's ContentMemo.
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { expect, test } from "vitest";
import { CoCrypto } from "../crypto/co-crypto.js";
import type { CoId } from "../ids/co-id.js";
import { createAccountNode } from "../node/create-account-node.js";
import { dependenciesOf } from "../node/dependencies.js";
import type { OutgoingMessage, PeerChannel } from "../transport/peer-channel.js";
import { PeerState } from "./peer-state.js";
import { ContentMemo, sendNewContent } from "./send-content.js";

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
