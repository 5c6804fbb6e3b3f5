// Valid (and deliberately broken) protocol content for the conformance cases, made by a cosync
// node that is connected to nothing: an account, a group it administers and values in it, signed
// exactly as cojson 0.20 signs them.
import {
  type CoId,
  type ContentMessage,
  createAccountNode,
  createMemoryStorage,
  type CryptoProvider,
  type KnownState,
  type LocalNode,
  type SessionId,
} from "@cosync/core";

/** An account with a group and a map in it, ready to upload in dependency order. */
export interface Author {
  readonly node: LocalNode;
  readonly accountId: CoId;
  readonly groupId: CoId;
  readonly mapId: CoId;
  /** Content of `id` the author holds beyond `since` (all of it by default), in pieces. */
  content(id: CoId, since?: KnownState): ContentMessage[];
  known(id: CoId): KnownState;
  /** Account, group and map content, dependencies first. */
  uploads(): ContentMessage[];
}

export function createAuthor(crypto: CryptoProvider, mapEntries = 2): Author {
  const node = createAccountNode({ crypto, storage: createMemoryStorage(), gc: false, name: "Conformance" });
  const group = node.createGroup();
  const map = group.createMap();
  for (let i = 0; i < mapEntries; i++) map.set(`k${i}`, `v${i}`, "trusting");
  node.sealLocalWrites();
  const accountId = node.accountId as CoId;
  const author: Author = {
    node,
    accountId,
    groupId: group.id,
    mapId: map.id,
    content(id, since) {
      node.sealLocalWrites();
      return node.peekEntry(id)?.log?.contentSince(since) ?? [];
    },
    known: (id) => node.peekEntry(id)?.knownState() ?? { id, header: false, sessions: {} },
    uploads: () => [...author.content(accountId), ...author.content(group.id), ...author.content(map.id)],
  };
  return author;
}

/** A map of `count` transactions of about `bytes` each (for streaming), in the author's group. */
export function bigMap(author: Author, count: number, bytes: number): CoId {
  const group = author.node.getGroup(author.groupId);
  if (group === undefined) throw new Error("the author holds its group");
  const map = group.createMap();
  for (let i = 0; i < count; i++) map.set(`big${i}`, "x".repeat(bytes), "trusting");
  author.node.sealLocalWrites();
  return map.id;
}

/** A fresh map in the author's group with one transaction, not yet uploaded. */
export function freshMap(author: Author): CoId {
  const map = author.node.getGroup(author.groupId)?.createMap();
  if (map === undefined) throw new Error("the author holds its group");
  map.set("fresh", true, "trusting");
  author.node.sealLocalWrites();
  return map.id;
}

/** The one session of `message` (the cases build values with a single writer). */
export function onlySession(message: ContentMessage): SessionId {
  const [session] = Object.keys(message.new) as SessionId[];
  if (session === undefined) throw new Error(`content of ${message.id} has no session`);
  return session;
}

/** `message` with its first transaction's changes altered: the signature no longer matches. */
export function tampered(message: ContentMessage): ContentMessage {
  const session = onlySession(message);
  const piece = message.new[session];
  if (piece === undefined) throw new Error("no piece");
  const [first, ...rest] = piece.newTransactions;
  if (first === undefined || first.privacy !== "trusting") throw new Error("expected a trusting transaction");
  const forged = { ...first, changes: JSON.stringify([{ op: "set", key: "forged", value: "by nobody" }]) };
  return { ...message, new: { [session]: { ...piece, newTransactions: [forged, ...rest] } } } as ContentMessage;
}
