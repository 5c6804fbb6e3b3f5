// Helpers of the attacker property (attacker.prop.test.ts): signed and forged pieces, made-up
// ids, and honest clients whose every frame and refusal is recorded.
import type { IncomingMessage } from "node:http";
import {
  type AgentSecret,
  type CoId,
  type CoValueHeader,
  type ContentMessage,
  createLinkedChannels,
  type JsonValue,
  type LocalNode,
  makeTrustingTransaction,
  type SessionId,
  SessionLog,
  type SessionNewContent,
  type Signature,
  signerSecretOfAgent,
  type TrustingTransaction,
} from "@cosync/core";
import type { SyncServer } from "@cosync/server";
import { expect } from "vitest";
import { crypto } from "../../packages/server/src/test-fixtures/attack-kit.js";
import { type Entry, RawClient } from "../../packages/server/src/test-fixtures/raw-client.js";

export const BOUND_MS = 10_000;
/** Written only where the signed form has no place for it: it must never reach a client. */
export const MARK = "mallory-unsigned-7f3a91";

// Made-up ids, agents, session names and `within`: the same as the server's attack tests use.
export {
  blake3,
  crypto,
  deleteSessionOf as deleteSession,
  newAgent,
  sessionOf as activeSession,
  unknownId,
  within,
} from "../../packages/server/src/test-fixtures/attack-kit.js";

export const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export function padTx(pad: number, i: number): TrustingTransaction {
  return makeTrustingTransaction([{ op: "set", key: `m${i}`, value: "p".repeat(pad) }], Date.now());
}

export const deletionTx = (id: CoId): TrustingTransaction => makeTrustingTransaction([], Date.now(), { deleted: id });

/** A session's transactions signed by `agent` as its owner would: the signature after each one. */
export function signSession(sessionId: SessionId, agent: AgentSecret, txs: readonly TrustingTransaction[]) {
  const log = new SessionLog(sessionId, crypto.provider.createHashChain());
  const signatures = txs.map((tx) => log.appendOwn(tx, signerSecretOfAgent(agent), crypto).signature);
  return {
    txs,
    /** Transactions [from, to) with the signature covering the chain up to `to`. */
    piece: (from: number, to: number): SessionNewContent => ({
      after: from,
      newTransactions: txs.slice(from, to),
      lastSignature: signatures[to - 1] as Signature,
    }),
  };
}

/** The unsigned fields an attacker adds to a piece and to each of its transactions. */
export function injected(piece: SessionNewContent): SessionNewContent {
  return {
    ...piece,
    injected: MARK,
    newTransactions: piece.newTransactions.map((tx) => ({ ...tx, injected: MARK, extra: { by: MARK } })),
  } as SessionNewContent;
}

export function content(id: CoId, pieces: Record<string, SessionNewContent>, header?: CoValueHeader): ContentMessage {
  return { action: "content", id, ...(header === undefined ? {} : { header }), priority: 3, new: pieces } as ContentMessage;
}

/** What storage holds of `id`, per session: the canonical transaction texts, checked contiguous. */
export async function storedSessions(server: SyncServer, id: CoId): Promise<Map<SessionId, string[]>> {
  const storage = server.node.storage ?? expect.fail("the server has no storage");
  const sessions = new Map<SessionId, string[]>();
  for await (const piece of storage.load(id)) {
    for (const [sessionId, stored] of Object.entries(piece.sessions) as [SessionId, { after: number; transactions: readonly string[] }][]) {
      const held = sessions.get(sessionId) ?? [];
      expect(stored.after, `storage of ${id} ${sessionId}: pieces are contiguous`).toBe(held.length);
      held.push(...stored.transactions);
      sessions.set(sessionId, held);
    }
  }
  return sessions;
}

// ---- honest clients -------------------------------------------------------------------------

/** Test-only authentication: `?account=<id>` in the URL authenticates the connection as that account. */
export function authenticateByAccountParameter(request: IncomingMessage): { readonly ok: true; readonly accountId?: string } {
  const account = new URL(request.url ?? "/", "http://localhost").searchParams.get("account");
  return account === null ? { ok: true } : { ok: true, accountId: account };
}

/** Frames a client received since a mark: error notices and raw text (for the unsigned marker). */
export class Inbox {
  readonly texts: string[] = [];
  readonly notices: string[] = [];
  readonly #waiters = new Set<(notice: string) => void>();

  receive(text: string): void {
    this.texts.push(text);
    for (const line of text.split("\n")) {
      if (!line.includes('"error"')) continue;
      const entry = JSON.parse(line) as Entry;
      if (entry.action !== undefined || entry.error === undefined) continue;
      const notice = JSON.stringify(entry.error);
      this.notices.push(notice);
      for (const waiter of [...this.#waiters]) waiter(notice);
    }
  }

  /** Rejects as soon as a notice arrives (from now on): honest clients must never be refused. */
  refusal(who: string): { readonly promise: Promise<never>; readonly stop: () => void } {
    let stop = () => {};
    const promise = new Promise<never>((_, reject) => {
      const waiter = (notice: string) => reject(new Error(`${who} was refused: ${notice}`));
      this.#waiters.add(waiter);
      stop = () => this.#waiters.delete(waiter);
    });
    promise.catch(() => {});
    return { promise, stop };
  }

  reset(): void {
    this.texts.length = 0;
    this.notices.length = 0;
  }
}

/** A cosync node synced with the server over a RawClient that also records what it sends and receives. */
export async function recordingBridge(node: LocalNode, url: string, onSent: (message: unknown) => void) {
  const raw = await RawClient.connect(url);
  const inbox = new Inbox();
  raw.ws.on("message", (data) => inbox.receive(data.toString()));
  const [toServer, toNode] = createLinkedChannels({ aId: "client", bId: "server", aRole: "client", bRole: "server" });
  toNode.onMessage((message) => {
    onSent(message);
    raw.send(message);
  });
  raw.onEntry((entry) => toNode.send(entry as never));
  void raw.closed.then(() => toNode.close());
  node.syncManager.addPeer(toServer);
  return {
    raw,
    inbox,
    close: async () => {
      toServer.close();
      await raw.close();
    },
  };
}

export type Model = { readonly kind: "map"; readonly entries: Record<string, JsonValue> } | { readonly kind: "list"; readonly items: JsonValue[] };

/** An honest value the server acknowledged, with what it must serve of it. */
export interface HonestValue {
  readonly id: CoId;
  readonly user: "A" | "B" | "C";
  /** The honest account administering it (for groups and accounts: the account itself). */
  readonly admin: CoId;
  /** Its owner group, for values owned by one. */
  readonly group: CoId | undefined;
  readonly session: SessionId;
  /** The acknowledged transactions of `session`, canonical JSON, in order. */
  acked: string[];
  /** The content a fresh client must see (values written by their user alone). */
  readonly model: Model | undefined;
  /** Deleted by its own admin: it must stay deleted (and is never written again). */
  readonly deleted: boolean;
}

export interface CosyncUser {
  readonly name: "A" | "B";
  readonly node: LocalNode;
  readonly accountId: CoId;
  readonly group: CoId;
  readonly bridge: Awaited<ReturnType<typeof recordingBridge>>;
}
