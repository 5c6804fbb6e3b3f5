import { loadNodeCryptoProvider } from "@cosync/crypto";
import { expect, test } from "vitest";
import { CoCrypto } from "../crypto/co-crypto.js";
import type { CoId } from "../ids/co-id.js";
import { createAccountNode } from "../node/create-account-node.js";
import { fullContentOf } from "./full-content-cache.js";

test("a value's full content is the same message objects while it is unchanged, and rebuilt once it grows", async () => {
  const crypto = new CoCrypto(await loadNodeCryptoProvider());
  const node = createAccountNode({ crypto, gc: false, name: "writer" });
  const list = node.createGroup().createList();
  for (let i = 0; i < 20; i++) list.append(i);
  node.sealLocalWrites();
  const logOf = (id: CoId) => node.peekEntry(id)?.log ?? expect.fail(`${id} is not in memory`);

  const first = fullContentOf(logOf(list.id));
  expect(first).toEqual(logOf(list.id).contentSince(undefined));
  // Same objects: a transport that serialises each message once sends a warm load without encoding.
  expect(fullContentOf(logOf(list.id))).toBe(first);

  list.append("more");
  node.sealLocalWrites();
  const grown = fullContentOf(logOf(list.id));
  expect(grown).not.toBe(first);
  expect(grown).toEqual(logOf(list.id).contentSince(undefined));
  const sessions = Object.values(grown[0]?.new ?? {});
  expect(sessions.reduce((sum, piece) => sum + piece.newTransactions.length, 0)).toBe(21);
});
