import type { DecodedTransaction } from "../covalues/decoded-transaction.js";
import { mergedOrigin, type TransactionOrigin } from "../covalues/merged-origin.js";
import type { JsonObject, JsonValue } from "../encoding/canonical-json.js";
import { type AgentId, isAgentId } from "../ids/agent-id.js";
import type { CoId } from "../ids/co-id.js";
import type { KeyId, KeySecret } from "../ids/crypto-strings.js";
import { type SessionId, type SessionOwner, sessionOwner } from "../ids/session-id.js";
import { decryptChanges, decryptMeta } from "../log/make-transaction.js";
import type { Transaction } from "../log/transaction.js";
import { evaluateGroup } from "../permissions/evaluate.js";
import type { GroupState } from "../permissions/group-state.js";
import { currentReadKey, type Identity, type KeyLookup, readKeySecret } from "../permissions/key-access.js";
import { FirstWriterWins } from "../permissions/first-writer-wins.js";
import { type Acceptor, acceptorFor } from "./acceptor.js";
import { type BranchSourceParts, BranchTransactions, branchSourceOf } from "./branch-transactions.js";
import type { CoValueEntry } from "./co-value-entry.js";
import type { LocalNode } from "./local-node.js";

function parseJson(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}

function parseMeta(text: string | undefined): JsonObject | undefined {
  const meta = text === undefined ? undefined : parseJson(text);
  return meta !== null && typeof meta === "object" && !Array.isArray(meta) ? (meta as JsonObject) : undefined;
}

interface DecodedCache {
  version: number;
  readonly groupsVersion: number;
  list: DecodedTransaction[];
  readonly firstWriters: FirstWriterWins;
  /** Per session, its last merged copy and where it counts as made (the next copy may chain on it). */
  readonly lastMerged: Map<SessionId, { readonly txIndex: number; readonly origin: TransactionOrigin }>;
  /** Per session, how many transactions were already decoded into `list`. */
  readonly decodedCounts: Map<SessionId, number>;
  readonly keys: Map<KeyId, KeySecret | undefined>;
}

interface Cached<T> {
  readonly version: number;
  readonly groupsVersion: number;
  readonly value: T;
}

/**
 * How a node sees permissions: evaluates groups and accounts (cached until something changes),
 * finds read keys for its identity, and turns a CoValue's verified transactions into the valid,
 * decrypted `DecodedTransaction`s that materialisers read (cojson 0.20). Invalid transactions stay
 * stored and synced; they are only left out here.
 */
export class PermissionView implements KeyLookup {
  readonly #node: LocalNode;
  readonly #groups = new Map<CoId, Cached<GroupState>>();
  readonly #decoded = new Map<CoId, DecodedCache>();
  readonly #writeKeys = new Map<CoId, { readonly groupsVersion: number; readonly key: ReturnType<PermissionView["writeKeyFor"]> }>();
  readonly #evaluating = new Set<CoId>();
  readonly #branches = new BranchTransactions();
  readonly #composing = new Set<CoId>();

  constructor(node: LocalNode) {
    this.#node = node;
  }

  get identity(): Identity {
    return { id: this.#node.accountId ?? this.#node.agentId, agentSecret: this.#node.agentSecret };
  }

  accountAgent(id: CoId): AgentId | undefined {
    const ruleset = this.#node.peekEntry(id)?.log?.header.ruleset;
    return ruleset?.type === "group" && isAgentId(ruleset.initialAdmin) ? ruleset.initialAdmin : undefined;
  }

  group(id: CoId): GroupState | undefined {
    const entry = this.#node.peekEntry(id);
    if (entry?.log === undefined || entry.log.header.ruleset.type !== "group") return undefined;
    const cached = this.#groups.get(id);
    if (cached !== undefined && cached.version === entry.version && cached.groupsVersion === this.#node.groupsVersion) {
      return cached.value;
    }
    // A parent cycle must not recurse forever: a group under evaluation counts as "not loaded".
    if (this.#evaluating.has(id)) return cached?.value;
    this.#evaluating.add(id);
    try {
      const state = this.#evaluate(entry);
      this.#groups.set(id, { version: entry.version, groupsVersion: this.#node.groupsVersion, value: state });
      return state;
    } finally {
      this.#evaluating.delete(id);
    }
  }

  #evaluate(entry: CoValueEntry): GroupState {
    const log = entry.log as NonNullable<CoValueEntry["log"]>;
    const trusting = this.#decodeAll(entry, () => undefined);
    const first = evaluateGroup({ id: log.id, header: log.header, transactions: trusting }, this);
    if (log.header.meta?.type !== "account" || !this.#hasPrivate(entry)) return first;
    // Accounts may hold private transactions, readable with the account's own read key.
    const all = this.#decodeAll(entry, (keyId) => readKeySecret(first, keyId, this.identity, this, this.#node.crypto));
    return evaluateGroup({ id: log.id, header: log.header, transactions: all }, this);
  }

  #hasPrivate(entry: CoValueEntry): boolean {
    for (const session of entry.log?.sessions.values() ?? []) {
      if (session.transactions.some((tx) => tx.privacy === "private")) return true;
    }
    return false;
  }

  /**
   * Valid, decrypted transactions of `entry` (materialisers sort them); for a branch, with its
   * source's up to the branch start (`BranchTransactions`). While no group changed, the returned
   * array only grows: new transactions are decoded and appended to the same array, so callers can
   * apply just the tail. After a group change it is a new array (verdicts and keys may have
   * changed for any transaction).
   */
  decodedTransactions(entry: CoValueEntry): DecodedTransaction[] {
    const own = this.ownTransactions(entry);
    const sourceId = entry.log === undefined ? undefined : branchSourceOf(entry.log.header);
    if (sourceId === undefined) return own;
    const sourceEntry = this.#node.peekEntry(sourceId);
    // A source that is not loaded (or a branch cycle) adds nothing, as in cojson.
    let source: BranchSourceParts | undefined;
    if (sourceEntry?.log !== undefined && !this.#composing.has(entry.id)) {
      this.#composing.add(entry.id);
      try {
        this.decodedTransactions(sourceEntry); // brings the source's own composition up to date
        source = { own: this.ownTransactions(sourceEntry), inherited: this.#branches.inherited(sourceEntry.id) };
      } finally {
        this.#composing.delete(entry.id);
      }
    }
    return this.#branches.compose(entry.id, own, source);
  }

  /** How many values' decoded (decrypted) transactions are held: each is dropped with its value. */
  get decodedValueCount(): number {
    return this.#decoded.size;
  }

  /** Drops everything derived from `id` (its value was unloaded: the decrypted copies go too). */
  forget(id: CoId): void {
    this.#decoded.delete(id);
    this.#groups.delete(id);
    this.#writeKeys.delete(id);
    this.#branches.forget(id);
  }

  /** `decodedTransactions` without a branch's source: what was written in `entry` itself. */
  ownTransactions(entry: CoValueEntry): DecodedTransaction[] {
    const log = entry.log;
    if (log === undefined) return [];
    const groupsVersion = this.#node.groupsVersion;
    let cached = this.#decoded.get(entry.id);
    if (cached === undefined || cached.groupsVersion !== groupsVersion || log.header.ruleset.type === "group") {
      if (cached?.version === entry.version && cached.groupsVersion === groupsVersion) return cached.list;
      cached = { version: -1, groupsVersion, list: [], firstWriters: new FirstWriterWins(), lastMerged: new Map(), decodedCounts: new Map(), keys: new Map() };
      this.#decoded.set(entry.id, cached);
    }
    if (cached.version === entry.version) return cached.list;
    const accept = acceptorFor(entry, this, this.#node.crypto, cached.keys);
    const demoted = new Set<DecodedTransaction>();
    if (accept !== undefined) {
      for (const [sessionId, session] of log.sessions) {
        const from = cached.decodedCounts.get(sessionId) ?? 0;
        if (from < session.transactions.length) this.#decodeSession(entry, sessionId, session.transactions, from, accept, cached, demoted);
        cached.decodedCounts.set(sessionId, session.transactions.length);
      }
    }
    // A late first writer beat an earlier one: a new array, so content is rebuilt without it.
    if (demoted.size > 0) cached.list = cached.list.map((tx) => (demoted.has(tx) ? { ...tx, anchorOnly: true } : tx));
    cached.version = entry.version;
    return cached.list;
  }

  /** Decodes, judges and places a session's transactions from index `from` into `cached.list`. */
  #decodeSession(
    entry: CoValueEntry,
    sessionId: SessionId,
    transactions: readonly Transaction[],
    from: number,
    accept: Acceptor,
    cached: DecodedCache,
    demoted: Set<DecodedTransaction>,
  ): void {
    const author = sessionOwner(sessionId);
    const header = (entry.log as NonNullable<CoValueEntry["log"]>).header;
    // A branch's own transactions carry its id, so ops made in it stay apart from the source's.
    const branch = branchSourceOf(header) === undefined ? undefined : entry.id;
    // Only values owned by a group can be branched, so only they hold merged copies.
    const mayHoldMerges = header.ruleset.type === "ownedByGroup";
    // A merged copy may leave out what repeats the previous transaction's origin.
    const previousOrigin = (txIndex: number): TransactionOrigin | undefined => {
      const merged = cached.lastMerged.get(sessionId);
      if (merged !== undefined && merged.txIndex === txIndex - 1) return merged.origin;
      const previous = transactions[txIndex - 1];
      if (previous === undefined) return undefined;
      const txId = branch === undefined ? { sessionID: sessionId, txIndex: txIndex - 1 } : { sessionID: sessionId, txIndex: txIndex - 1, branch };
      return { txId, madeAt: previous.madeAt };
    };
    for (let txIndex = from; txIndex < transactions.length; txIndex++) {
      const tx = transactions[txIndex] as Transaction;
      const decoded = this.#decodeOne(entry.id, sessionId, author, txIndex, tx, accept.keyFor, branch);
      let counted = decoded === undefined ? undefined : accept.judge(decoded);
      if (mayHoldMerges && counted?.meta !== undefined) {
        const merged = mergedOrigin(counted.meta, { sessionID: sessionId, txIndex, madeAt: tx.madeAt }, previousOrigin(txIndex));
        if (merged !== undefined) {
          cached.lastMerged.set(sessionId, { txIndex, origin: merged.origin });
          counted = merged.valid ? { ...counted, txId: merged.origin.txId, madeAt: merged.origin.madeAt, place: counted.txId } : undefined;
        }
      }
      if (counted !== undefined && accept.afterMerge !== undefined) counted = accept.afterMerge(counted);
      if (counted === undefined) continue;
      const outcome = cached.firstWriters.admit(counted);
      if (outcome.demoted !== undefined) demoted.add(outcome.demoted);
      cached.list.push(outcome.tx);
    }
  }

  #decodeAll(entry: CoValueEntry, keyFor: (keyId: KeyId) => KeySecret | undefined): DecodedTransaction[] {
    const out: DecodedTransaction[] = [];
    for (const [sessionId, session] of entry.log?.sessions ?? []) {
      const author = sessionOwner(sessionId);
      session.transactions.forEach((tx, txIndex) => {
        const decoded = this.#decodeOne(entry.id, sessionId, author, txIndex, tx, keyFor);
        if (decoded !== undefined) out.push(decoded);
      });
    }
    return out;
  }

  #decodeOne(
    coId: CoId,
    sessionId: SessionId,
    author: SessionOwner,
    txIndex: number,
    tx: Transaction,
    keyFor: (keyId: KeyId) => KeySecret | undefined,
    branch?: CoId,
  ): DecodedTransaction | undefined {
    let changes: JsonValue[] | undefined;
    let meta: JsonObject | undefined;
    if (tx.privacy === "trusting") {
      const parsed = parseJson(tx.changes);
      if (!Array.isArray(parsed)) return undefined;
      changes = parsed;
      meta = parseMeta(tx.meta);
    } else {
      const secret = keyFor(tx.keyUsed);
      if (secret === undefined) return undefined;
      const place = { coId, sessionId, txIndex };
      changes = decryptChanges(tx, secret, place, this.#node.crypto);
      if (changes === undefined) return undefined;
      if (tx.meta !== undefined) meta = decryptMeta(tx, secret, place, this.#node.crypto);
    }
    // One object shape for every decoded transaction keeps the materialisers' loops monomorphic.
    const txId = branch === undefined ? { sessionID: sessionId, txIndex } : { sessionID: sessionId, txIndex, branch };
    return meta === undefined
      ? { txId, author, madeAt: tx.madeAt, changes, privacy: tx.privacy }
      : { txId, author, madeAt: tx.madeAt, changes, meta, privacy: tx.privacy };
  }

  /** The key new private transactions of a value owned by `groupId` are encrypted with. */
  writeKeyFor(groupId: CoId): { readonly id: KeyId; readonly secret: KeySecret } | undefined {
    const cached = this.#writeKeys.get(groupId);
    if (cached !== undefined && cached.groupsVersion === this.#node.groupsVersion) return cached.key;
    const group = this.group(groupId);
    const current = group === undefined ? undefined : currentReadKey(group, this.identity, this, this.#node.crypto);
    const key = current?.secret === undefined ? undefined : { id: current.id, secret: current.secret };
    this.#writeKeys.set(groupId, { groupsVersion: this.#node.groupsVersion, key });
    return key;
  }
}
