// Shared set-up for the permission interop tests: real cojson 0.20.19 nodes with controllable
// clocks, content moved between them by hand (synchronously, as cojson's own acceptInvite does),
// and the same content read into cosync through its verified logs and permission evaluator.
import {
  type AgentId,
  type AgentSecret,
  type CoCrypto,
  type CoId,
  type CoValueHeader,
  type ContentMessage,
  createGroupResolver,
  type DecodedTransaction,
  type GroupInput,
  type GroupState,
  idForHeader,
  type JsonObject,
  type JsonValue,
  type KeyLookup,
  type SessionId,
  type SessionPiece,
  sessionOwner,
  signerIdOfAgent,
  type SignerSecret,
  type Transaction,
  validateHeader,
  VerifiedLog,
} from "@cosync/core";
import { LocalNode, type RawGroup } from "cojson";
import { expect } from "vitest";
import { type CojsonCrypto, loadCosyncCryptos, loadOracle } from "./oracle.js";

export interface Crypto {
  readonly oracle: CojsonCrypto;
  readonly ours: CoCrypto;
}

export async function loadCryptos(): Promise<Crypto> {
  const oracle = await loadOracle();
  const ours = (await loadCosyncCryptos())[0]?.crypto as CoCrypto;
  return { oracle, ours };
}

/** A cojson node whose `stampNow` (every transaction's madeAt) is set by the test. */
export interface Actor {
  readonly name: string;
  readonly node: LocalNode;
  readonly accountId: CoId;
  readonly agentSecret: AgentSecret;
  readonly agentId: AgentId;
  /** Sets the madeAt of this node's next transactions. */
  setTime(time: number): void;
}

function controlClock(node: LocalNode, start: number): (time: number) => void {
  let now = start;
  // cojson has no injectable clock; its madeAt comes from this instance method.
  (node as unknown as { stampNow: () => number }).stampNow = () => now;
  return (time) => {
    now = time;
  };
}

export async function createActor(crypto: Crypto, name: string, time = 1_000): Promise<Actor> {
  const created = await LocalNode.withNewlyCreatedAccount({ creationProps: { name }, peers: [], crypto: crypto.oracle });
  const agentSecret = created.accountSecret as AgentSecret;
  return {
    name,
    node: created.node,
    accountId: created.accountID as CoId,
    agentSecret,
    agentId: crypto.ours.agentId(agentSecret),
    setTime: controlClock(created.node, time),
  };
}

/** Actors with the given names, in that order. */
export function createActors<const Names extends readonly string[]>(crypto: Crypto, names: Names): Promise<{ -readonly [K in keyof Names]: Actor }> {
  return Promise.all(names.map((name) => createActor(crypto, name))) as Promise<{ -readonly [K in keyof Names]: Actor }>;
}

/**
 * A fresh node for an existing account (no storage, no peers), holding every given account.
 * Its clock starts at `time`; cojson keeps per-node caches that grow with every CoValue, so
 * property runs take fresh nodes rather than reuse old ones.
 */
export function reopenActor(crypto: Crypto, actor: Actor, accounts: readonly Actor[], time = 1_000): Actor {
  const node = new LocalNode(actor.agentSecret as never, crypto.oracle.newRandomSessionID(actor.accountId as never), crypto.oracle);
  for (const other of accounts) share(other.node, node, other.accountId);
  return { ...actor, node, setTime: controlClock(node, time) };
}

/** Gives every actor's node every other actor's account (groups need their members' accounts). */
export function introduce(actors: readonly Actor[]): void {
  for (const from of actors) {
    for (const to of actors) if (from !== to) share(from.node, to.node, from.accountId);
  }
}

/**
 * A node with a bare agent and no account (an observer that evaluates everything from scratch),
 * holding the accounts of `actors`.
 */
export function createObserver(crypto: Crypto, actors: readonly Actor[] = []): LocalNode {
  const secret = crypto.oracle.newRandomAgentSecret();
  const observer = new LocalNode(secret, crypto.oracle.newRandomSessionID(crypto.oracle.getAgentID(secret)), crypto.oracle);
  for (const actor of actors) share(actor.node, observer, actor.accountId);
  return observer;
}

/** `actor`'s account as `node` holds it, in the shape cojson's addMember and removeMember take. */
export async function loadAccount(node: LocalNode, actor: Actor): Promise<never> {
  return (await node.load(actor.accountId as never)) as never;
}

/** cojson's current content of group `id` on `node`. */
export function groupOn(node: LocalNode, id: string): RawGroup {
  return node.getCoValue(id as never).getCurrentContent() as RawGroup;
}

type CojsonCore = ReturnType<LocalNode["getCoValue"]>;

/** Copies what `to` lacks of CoValue `id` from `from` (no peers: cojson's "import" path). */
export function share(from: LocalNode, to: LocalNode, id: string): void {
  const source = from.getCoValue(id as never);
  if (!source.isAvailable()) return;
  const target = to.getCoValue(id as never);
  const known = target.isAvailable() ? target.knownState() : undefined;
  for (const piece of source.newContentSince(known) ?? []) to.syncManager.handleNewContent(piece, "import");
}

/** Hands content cosync made to a cojson node, as if it came from a peer. */
export function importInto(node: LocalNode, messages: readonly ContentMessage[]): void {
  for (const message of messages) node.syncManager.handleNewContent(JSON.parse(JSON.stringify(message)), "import");
}

/** cojson's content of a CoValue, as the messages it would send a peer that knows nothing. */
export function contentOf(node: LocalNode, id: string): ContentMessage[] {
  const core: CojsonCore = node.getCoValue(id as never);
  return JSON.parse(JSON.stringify(core.newContentSince(undefined) ?? [])) as ContentMessage[];
}

/**
 * Reads CoValues into cosync: content messages are verified into `VerifiedLog`s (signatures
 * checked with cosync's crypto) and their trusting transactions decoded.
 */
export class CosyncView {
  readonly logs = new Map<CoId, VerifiedLog>();
  readonly accountAgents = new Map<CoId, AgentId>();

  constructor(private readonly crypto: CoCrypto) {}

  addAccount(accountId: CoId, agent: AgentId): void {
    this.accountAgents.set(accountId, agent);
  }

  /** Adds each actor's account, as the actor's own node holds it. */
  addAccountsOf(actors: readonly Actor[]): void {
    for (const actor of actors) {
      this.addAccount(actor.accountId, actor.agentId);
      this.add(contentOf(actor.node, actor.accountId));
    }
  }

  add(messages: readonly ContentMessage[]): void {
    for (const message of messages) {
      let log = this.logs.get(message.id);
      if (log === undefined) {
        const header = validateHeader(message.header);
        if (!header.ok) throw new Error(`bad header for ${message.id}: ${header.error}`);
        log = new VerifiedLog(message.id, header.value, this.crypto);
        this.logs.set(message.id, log);
      }
      const outcomes = log.addPieces(message.new as Record<SessionId, SessionPiece>, (sessionId) => {
        const owner = sessionOwner(sessionId);
        if (owner.startsWith("co_")) {
          const agent = this.accountAgents.get(owner as CoId);
          return agent === undefined ? { missingAccount: owner as CoId } : { signer: signerIdOfAgent(agent) };
        }
        return { signer: signerIdOfAgent(owner as AgentId) };
      });
      for (const outcome of outcomes) {
        if (outcome.type !== "Applied") throw new Error(`cosync refused ${message.id}: ${JSON.stringify(outcome)}`);
      }
    }
  }

  /** Starts a CoValue cosync authors. */
  create(header: CoValueHeader): CoId {
    const id = idForHeader(header, (bytes) => this.crypto.provider.blake3(bytes));
    if (!this.logs.has(id)) this.logs.set(id, new VerifiedLog(id, header, this.crypto));
    return id;
  }

  /** Signs `transactions` into `sessionId` of `id` as cosync's own writes. */
  write(id: CoId, sessionId: SessionId, signer: SignerSecret, transactions: readonly Transaction[]): void {
    const log = this.logs.get(id);
    if (log === undefined) throw new Error(`${id} not in the cosync view`);
    const session = log.session(sessionId);
    for (const tx of transactions) session.appendOwn(tx, signer, this.crypto);
  }

  /** How many transactions `sessionId` of `id` holds. */
  count(id: CoId, sessionId: SessionId): number {
    return this.logs.get(id)?.sessions.get(sessionId)?.count ?? 0;
  }

  /** Everything cosync holds of `id`, as content messages for a peer that knows nothing. */
  content(id: CoId): ContentMessage[] {
    const log = this.logs.get(id);
    if (log === undefined) throw new Error(`${id} not in the cosync view`);
    return JSON.parse(JSON.stringify(log.contentSince(undefined))) as ContentMessage[];
  }

  /** Every transaction of a CoValue, session by session, trusting ones decoded. */
  transactions(id: CoId): DecodedTransaction[] {
    const log = this.logs.get(id);
    if (log === undefined) throw new Error(`${id} not loaded into the cosync view`);
    const decoded: DecodedTransaction[] = [];
    for (const [sessionId, session] of log.sessions) {
      session.transactions.forEach((tx, txIndex) => {
        const base = { txId: { sessionID: sessionId, txIndex }, author: sessionOwner(sessionId), madeAt: tx.madeAt };
        if (tx.privacy === "private") {
          decoded.push({ ...base, changes: [], privacy: "private" });
          return;
        }
        const changes = JSON.parse(tx.changes) as JsonValue[];
        const meta = tx.meta === undefined ? undefined : (JSON.parse(tx.meta) as JsonObject);
        decoded.push(meta === undefined ? { ...base, changes, privacy: "trusting" } : { ...base, changes, meta, privacy: "trusting" });
      });
    }
    return decoded;
  }

  groupInput(id: CoId): GroupInput | undefined {
    const log = this.logs.get(id);
    return log === undefined ? undefined : { id, header: log.header, transactions: this.transactions(id) };
  }

  /** A fresh evaluation of every group in the view. */
  resolver(): KeyLookup {
    return createGroupResolver({
      group: (id) => this.groupInput(id),
      accountAgent: (id) => this.accountAgents.get(id),
    });
  }
}

export const txKey = (txId: { readonly sessionID: string; readonly txIndex: number }): string => `${txId.sessionID}#${txId.txIndex}`;

/** cojson's verdicts on every transaction of a CoValue (validation runs when content is built). */
export function cojsonVerdicts(node: LocalNode, id: string): Map<string, boolean> {
  const core = node.getCoValue(id as never);
  core.getCurrentContent();
  const internal = core as unknown as {
    verifiedTransactions: ReadonlyArray<{ txID: { sessionID: string; txIndex: number }; isValid: boolean }>;
  };
  return new Map(internal.verifiedTransactions.map((tx) => [txKey(tx.txID), tx.isValid]));
}

/** A cosync view of `actors`' accounts and of CoValues `ids` as `node` holds them, with a fresh evaluation of its groups. */
export function cosyncViewOf(crypto: Crypto, node: LocalNode, actors: readonly Actor[], ids: readonly string[]): { view: CosyncView; lookup: KeyLookup } {
  const view = new CosyncView(crypto.ours);
  view.addAccountsOf(actors);
  for (const id of ids) view.add(contentOf(node, id));
  return { view, lookup: view.resolver() };
}

/** cosync's verdict on every transaction of group `state` is the one cojson's `node` gives. */
export function expectSameVerdicts(node: LocalNode, state: GroupState): void {
  const theirs = cojsonVerdicts(node, state.id);
  const ours = new Map(state.verdicts.map((verdict) => [txKey(verdict.txId), verdict.valid]));
  expect(ours).toEqual(theirs);
}
