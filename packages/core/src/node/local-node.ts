import { CoCrypto } from "../crypto/co-crypto.js";
import type { CryptoProvider } from "../crypto/crypto-provider.js";
import { type CoValueHeader, idForHeader } from "../covalues/header.js";
import type { AgentId, AgentSecret, SignerId } from "../ids/agent-id.js";
import { isAgentId, signerIdOfAgent, signerSecretOfAgent } from "../ids/agent-id.js";
import { type CoId, parseCoId } from "../ids/co-id.js";
import { isDeleteSessionId, type SessionId, sessionOwner } from "../ids/session-id.js";
import type { Signature } from "../ids/crypto-strings.js";
import type { SessionPiece } from "../log/session-log.js";
import { checkDeleteSession, type DeleteCheck } from "../permissions/owned.js";
import type { Transaction } from "../log/transaction.js";
import { type SignerResolution, VerifiedLog } from "../log/verified-log.js";
import type { AppendChunk, StorageAdapter } from "../storage/storage-adapter.js";
import { type Logger, silentLogger } from "../sync/logger.js";
import { SyncManager, type SyncOptions } from "../sync/sync-manager.js";
import type { SyncNode } from "../sync/sync-node.js";
import { type Clock, systemClock } from "../time/clock.js";
import { CoValueEntry } from "./co-value-entry.js";
import { CoValueHandle } from "./co-value-handle.js";
import { dependenciesOf } from "./dependencies.js";
import { GarbageCollector, type GcOptions } from "./garbage-collector.js";
import { chunkForStorage, readLogFromStorage } from "./storage-bridge.js";
import { PermissionView } from "./permission-view.js";
import { BinaryStreamView, CoListView, CoMapView, CoPlainTextView, CoStreamView } from "./co-value-views.js";
import { GroupView } from "./group-view.js";
import { NodeClosedError, PermissionError, UnavailableError } from "./app-errors.js";
import { assertMayWriteTo } from "./write-access.js";
import { changesToTransactions, createGroupChanges, groupHeader } from "../permissions/group-changes.js";
import { makeTrustingTransaction } from "../log/make-transaction.js";
import { isoTimestamp } from "../time/iso-time.js";

export interface LocalNodeOptions {
  readonly crypto: CoCrypto | CryptoProvider;
  /** The agent this node signs as; a fresh random one if absent (a server has no account). */
  readonly agentSecret?: AgentSecret;
  /** The account this node acts for; its sessions are `<account>_session_z…`. */
  readonly accountId?: CoId;
  readonly storage?: StorageAdapter;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly sync?: SyncOptions;
  /** Idle-value garbage collection; off when false. */
  readonly gc?: GcOptions | false;
}

/** What `load` found; when nothing, why. */
export type LoadOutcome =
  | { readonly status: "loaded"; readonly value: CoValueHandle }
  | { readonly status: "unavailable"; readonly reason: string };

/** What the typed getters and loads check a value's header against. */
type ViewKind = "group" | "comap" | "colist" | "costream" | "binary costream" | "coplaintext";

function kindOf(header: CoValueHeader): ViewKind {
  if (header.ruleset.type === "group") return "group";
  if (header.type === "costream" && header.meta?.type === "binary") return "binary costream";
  return header.type as ViewKind;
}

/**
 * A cosync node: holds CoValues, writes in its own session, stores through a StorageAdapter and
 * syncs through `syncManager`. IO-free: storage, peers and time are passed in.
 */
export class LocalNode implements SyncNode, AsyncDisposable {
  readonly crypto: CoCrypto;
  readonly clock: Clock;
  readonly storage: StorageAdapter | undefined;
  readonly logger: Logger;
  readonly agentSecret: AgentSecret;
  readonly agentId: AgentId;
  readonly accountId: CoId | undefined;
  /**
   * This node's session; values other than its own account are written here. Replaced by a fresh
   * one if storage lost writes that had already left the node (never fork a session).
   */
  sessionId: SessionId;
  /** The session used inside the account CoValue itself (cojson writes it as the agent). */
  agentSessionId: SessionId;
  readonly syncManager: SyncManager;
  /** Bumped whenever any group or account changes: permission verdicts may depend on any of them. */
  groupsVersion = 0;
  readonly #entries = new Map<CoId, CoValueEntry>();
  readonly #gc: GarbageCollector | undefined;
  #permissions: PermissionView | undefined;
  /** CoValues with local writes not yet signed → our session's signed count before them. */
  readonly #unsignedWrites = new Map<CoValueEntry, number>();
  #sealScheduled = false;
  #closed = false;

  constructor(options: LocalNodeOptions) {
    this.crypto = options.crypto instanceof CoCrypto ? options.crypto : new CoCrypto(options.crypto);
    this.clock = options.clock ?? systemClock();
    this.storage = options.storage;
    this.logger = options.logger ?? silentLogger;
    this.agentSecret = options.agentSecret ?? this.crypto.newRandomAgentSecret();
    this.agentId = this.crypto.agentId(this.agentSecret);
    this.accountId = options.accountId;
    const suffix = this.crypto.newSessionRandomPart();
    this.agentSessionId = `${this.agentId}_session_z${suffix}`;
    this.sessionId = options.accountId === undefined ? this.agentSessionId : `${options.accountId}_session_z${suffix}`;
    this.syncManager = new SyncManager(this, options.sync);
    this.#gc = options.gc === false ? undefined : new GarbageCollector(this, options.gc);
  }

  // ---- entries ------------------------------------------------------------------------------

  entry(id: CoId): CoValueEntry {
    let entry = this.#entries.get(id);
    if (entry === undefined) {
      entry = new CoValueEntry(id);
      this.#entries.set(id, entry);
    }
    return entry;
  }

  peekEntry(id: CoId): CoValueEntry | undefined {
    return this.#entries.get(id);
  }

  allEntries(): Iterable<CoValueEntry> {
    return this.#entries.values();
  }

  /** The handle of an available CoValue, or undefined if it is not in memory. */
  get(id: CoId): CoValueHandle | undefined {
    const entry = this.#entries.get(id);
    if (entry?.log === undefined) return undefined;
    entry.lastAccessed = this.clock.now();
    return new CoValueHandle(this, entry);
  }

  /** How this node sees groups, roles and keys. */
  get permissions(): PermissionView {
    this.#permissions ??= new PermissionView(this);
    return this.#permissions;
  }

  // ---- typed views --------------------------------------------------------------------------

  /** A typed view of a value in memory; undefined if it isn't; TypeError if it is another kind. */
  #view<V>(id: CoId, kind: ViewKind, make: (entry: CoValueEntry) => V): V | undefined {
    const entry = this.#entries.get(id);
    if (entry?.log === undefined) return undefined;
    const actual = kindOf(entry.log.header);
    // A group (or account) is a CoMap underneath: reading it as a map is allowed, as in cojson.
    if (actual !== kind && !(kind === "comap" && actual === "group")) throw new TypeError(`${id} is a ${actual}, not a ${kind}`);
    entry.lastAccessed = this.clock.now();
    return make(entry);
  }

  getGroup(id: CoId): GroupView | undefined {
    return this.#view(id, "group", (entry) => new GroupView(this, entry));
  }
  getMap(id: CoId): CoMapView | undefined {
    return this.#view(id, "comap", (entry) => new CoMapView(this, entry));
  }
  getList(id: CoId): CoListView | undefined {
    return this.#view(id, "colist", (entry) => new CoListView(this, entry));
  }
  getStream(id: CoId): CoStreamView | undefined {
    return this.#view(id, "costream", (entry) => new CoStreamView(this, entry));
  }
  getBinaryStream(id: CoId): BinaryStreamView | undefined {
    return this.#view(id, "binary costream", (entry) => new BinaryStreamView(this, entry));
  }
  getPlainText(id: CoId): CoPlainTextView | undefined {
    return this.#view(id, "coplaintext", (entry) => new CoPlainTextView(this, entry));
  }

  // Typed loads: the view, or an UnavailableError saying why not (a TypeError for another kind).
  loadGroup(id: CoId): Promise<GroupView> {
    return this.#loadAs(id, (loadedId) => this.getGroup(loadedId));
  }
  loadMap(id: CoId): Promise<CoMapView> {
    return this.#loadAs(id, (loadedId) => this.getMap(loadedId));
  }
  loadList(id: CoId): Promise<CoListView> {
    return this.#loadAs(id, (loadedId) => this.getList(loadedId));
  }
  loadStream(id: CoId): Promise<CoStreamView> {
    return this.#loadAs(id, (loadedId) => this.getStream(loadedId));
  }
  loadBinaryStream(id: CoId): Promise<BinaryStreamView> {
    return this.#loadAs(id, (loadedId) => this.getBinaryStream(loadedId));
  }
  loadPlainText(id: CoId): Promise<CoPlainTextView> {
    return this.#loadAs(id, (loadedId) => this.getPlainText(loadedId));
  }

  async #loadAs<V>(id: CoId, view: (id: CoId) => V | undefined): Promise<V> {
    const outcome = await this.load(id);
    if (outcome.status === "unavailable") throw new UnavailableError(id, outcome.reason);
    const loaded = view(id);
    if (loaded === undefined) throw new UnavailableError(id, "it was unloaded again before it could be read");
    return loaded;
  }

  /** Creates a group with us as admin and a fresh read key (cojson `createGroup`). */
  createGroup(options: { readonly name?: string } = {}): GroupView {
    this.#assertOpen("create a group");
    const now = this.clock.now();
    const header = groupHeader({
      initialAdmin: this.accountId ?? this.agentId,
      uniqueness: this.crypto.newUniqueness(),
      createdAt: isoTimestamp(now),
      ...(options.name === undefined ? {} : { name: options.name }),
    });
    const entry = this.entry(this.createCoValue(header).id);
    const context = { crypto: this.crypto, me: this.permissions.identity, sessionId: this.sessionFor(entry.id), nextTxIndex: 0 };
    for (const tx of changesToTransactions(createGroupChanges(context, entry.id, this.crypto.newKey()), now)) {
      this.appendOwnTransaction(entry, tx);
    }
    return new GroupView(this, entry);
  }

  /** The account this node acts for, as a group view (accounts are groups). */
  get account(): GroupView | undefined {
    return this.accountId === undefined ? undefined : this.getGroup(this.accountId);
  }

  // ---- creating and writing -----------------------------------------------------------------

  /** Creates a CoValue from a header (its id is the header's hash). */
  createCoValue(header: CoValueHeader): CoValueHandle {
    this.#assertOpen("create a CoValue");
    const id = idForHeader(header, (bytes) => this.crypto.provider.blake3(bytes));
    const entry = this.entry(id);
    if (entry.log === undefined) {
      entry.log = new VerifiedLog(id, header, this.crypto);
      entry.state = "available";
      entry.lastAccessed = this.clock.now();
      void this.persist(entry, { id, header, sessions: {} });
      this.syncManager.entryBecameAvailable(entry);
      this.syncManager.localChange(entry);
    }
    return new CoValueHandle(this, entry);
  }

  /** The session this node writes in for `id` (the agent session inside its own account). */
  sessionFor(id: CoId): SessionId {
    return id === this.accountId ? this.agentSessionId : this.sessionId;
  }

  /**
   * Appends a transaction to our session of `entry`. Listeners hear of it at once; signing,
   * storing and syncing happen once per microtask for the whole burst of local writes (one
   * signature and one storage append per CoValue instead of one per transaction).
   */
  appendOwnTransaction(entry: CoValueEntry, tx: Transaction): void {
    const log = entry.log;
    if (log === undefined) throw new Error(`CoValue ${entry.id} is not available; load it before writing`);
    if (entry.deleted) throw new Error(`CoValue ${entry.id} was deleted; it takes no new transactions`);
    this.#assertOpen(`write to ${entry.id}`);
    assertMayWriteTo(this, entry.id, log.header, tx);
    const sessionId = this.sessionFor(entry.id);
    const session = log.session(sessionId);
    if (!this.#unsignedWrites.has(entry)) this.#unsignedWrites.set(entry, session.signedCount);
    session.appendOwnUnsigned(tx, signerSecretOfAgent(this.agentSecret), this.crypto);
    entry.lastAccessed = this.clock.now();
    if (this.#unsignedWrites.size === 1 && !this.#sealScheduled) {
      this.#sealScheduled = true;
      queueMicrotask(() => this.sealLocalWrites());
    }
    this.entryChanged(entry);
  }

  /** Appends transactions signed as another agent in its own session (used to accept invites). */
  appendTransactionsAs(entry: CoValueEntry, sessionId: SessionId, agentSecret: AgentSecret, txs: readonly Transaction[]): void {
    const log = entry.log;
    if (log === undefined) throw new Error(`CoValue ${entry.id} is not available; load it before writing`);
    const session = log.session(sessionId);
    const from = session.count;
    for (const tx of txs) session.appendOwn(tx, signerSecretOfAgent(agentSecret), this.crypto);
    if (this.storage !== undefined) void this.persist(entry, chunkForStorage(log, new Map([[sessionId, from]]), true));
    this.entryChanged(entry);
    this.syncManager.localChange(entry);
  }

  /** Signs, stores and syncs pending local writes now (normally run on the next microtask). */
  sealLocalWrites(): void {
    this.#sealScheduled = false;
    const writes = [...this.#unsignedWrites];
    this.#unsignedWrites.clear();
    for (const [entry, from] of writes) {
      const log = entry.log;
      if (log === undefined) continue;
      const sessionId = this.sessionFor(entry.id);
      log.sessions.get(sessionId)?.signPending(signerSecretOfAgent(this.agentSecret), this.crypto);
      if (this.storage !== undefined) void this.persist(entry, chunkForStorage(log, new Map([[sessionId, from]]), true));
      this.syncManager.localChange(entry);
    }
  }

  // ---- loading ------------------------------------------------------------------------------

  /** Loads a CoValue: from memory, storage, then server peers (with cojson's retry). */
  async load(id: CoId): Promise<LoadOutcome> {
    // Checked here, not left to a 60 s network timeout: no peer could ever answer a malformed id.
    parseCoId(id, "load(id)");
    this.#assertOpen(`load ${id}`);
    const entry = this.entry(id);
    await this.syncManager.makeAvailable(entry);
    if (entry.log === undefined) return { status: "unavailable", reason: entry.unavailableReason ?? "no peer has it" };
    entry.lastAccessed = this.clock.now();
    return { status: "loaded", value: new CoValueHandle(this, entry) };
  }

  loadFromStorage(entry: CoValueEntry): Promise<void> {
    if (entry.log !== undefined || this.storage === undefined) return Promise.resolve();
    entry.loading ??= this.#loadFromStorage(entry, this.storage).finally(() => {
      entry.loading = undefined;
    });
    return entry.loading;
  }

  async #loadFromStorage(entry: CoValueEntry, storage: StorageAdapter): Promise<void> {
    const log = await readLogFromStorage(entry, storage, this.crypto);
    if (log === undefined || entry.log !== undefined) return;
    const tombstoned = await storage.isDeleted(entry.id);
    if (entry.log !== undefined) return; // made available otherwise meanwhile
    entry.deleted = false;
    entry.durable = Promise.resolve(true);
    entry.log = log;
    // Deleted in storage: hold only what the deletion kept. Another process sharing the storage
    // may have recorded the deletion after the log was read, so the read may still hold the rest.
    if (tombstoned) this.deleteInMemory(entry);
    if (log.header.ruleset.type === "group") this.groupsVersion++;
    entry.state = "available";
    entry.lastKnown = undefined;
    entry.lastAccessed = this.clock.now();
    // Dependencies come along, so they can be pushed to clients before the value itself.
    for (const dependency of dependenciesOf(log)) await this.loadFromStorage(this.entry(dependency));
    // A valid delete session stored without its tombstone (recording it failed, or the process
    // that deleted it has not recorded it yet): finish deleting (recording it again is harmless).
    if (!entry.deleted && entry.log === log && this.holdsValidDeletion(entry)) void this.markDeleted(entry);
    this.syncManager.entryBecameAvailable(entry);
  }

  /**
   * True if a delete session held in memory is a valid deletion (checked as at ingest, against the
   * owner group as held here). Does not look at whether `entry` is marked deleted.
   */
  holdsValidDeletion(entry: CoValueEntry): boolean {
    const log = entry.log;
    if (log === undefined) return false;
    for (const [sessionId, session] of log.sessions) {
      if (isDeleteSessionId(sessionId) && this.#checkDeleteTransactions(entry.id, log.header, sessionId, 0, session.transactions).type === "Delete") return true;
    }
    return false;
  }

  // ---- verification and storage -------------------------------------------------------------

  resolveSigner(sessionId: SessionId): SignerResolution {
    const owner = sessionOwner(sessionId);
    if (isAgentId(owner)) return { signer: signerIdOfAgent(owner) };
    const account = this.#entries.get(owner as CoId)?.log;
    if (account === undefined) return { missingAccount: owner as CoId };
    const ruleset = account.header.ruleset;
    const admin = ruleset.type === "group" ? ruleset.initialAdmin : undefined;
    // An account whose header names no agent can sign nothing: verification will fail.
    return { signer: isAgentId(admin) ? signerIdOfAgent(admin) : ("signer_z" as SignerId) };
  }

  /**
   * Appends `chunk` to storage. Resolves true once it and every earlier append of the value
   * committed (what an ack or a `known` reply may then name), false if any failed (the value is
   * evicted and reloaded from storage). With an adapter that commits appends in call order, the
   * append is issued at once, so pipelined content shares commits; otherwise after the previous
   * append of the value committed.
   */
  persist(entry: CoValueEntry, chunk: AppendChunk): Promise<boolean> {
    const storage = this.storage;
    if (storage === undefined) return entry.storageTail.then(() => true);
    entry.pendingStorageWrites++;
    const earlier = entry.durable;
    const appended = storage.appendsInOrder === true ? this.#append(entry, storage, chunk) : entry.storageTail.then(() => this.#append(entry, storage, chunk));
    const result = Promise.all([earlier, appended]).then(([before, now]) => {
      if (now) this.#reportCommitted(chunk);
      return before && now;
    });
    entry.durable = result;
    entry.storageTail = result.finally(() => {
      entry.pendingStorageWrites--;
    });
    return result;
  }

  #reportCommitted(chunk: AppendChunk): void {
    const committed = this.syncManager.events.committed;
    if (committed === undefined) return;
    const sessions: Record<SessionId, number> = {};
    for (const [sessionId, piece] of Object.entries(chunk.sessions) as [SessionId, AppendChunk["sessions"][SessionId]][]) {
      sessions[sessionId] = piece.after + piece.transactions.length;
    }
    try {
      committed(chunk.id, sessions);
    } catch (error) {
      this.logger.error({ err: error, id: chunk.id }, "a committed hook threw; sync goes on");
    }
  }

  async #append(entry: CoValueEntry, storage: StorageAdapter, chunk: AppendChunk): Promise<boolean> {
    const started = this.clock.now();
    try {
      const outcome = await storage.append(chunk);
      this.syncManager.events.storageLatency?.(this.clock.now() - started);
      if (outcome.type === "Stored") {
        this.syncManager.events.storageSucceeded?.();
        return true;
      }
      this.logger.error({ id: entry.id, stored: outcome.knownState }, "storage reported a gap; evicting the value");
    } catch (error) {
      this.logger.error({ err: error, id: entry.id }, "storage append failed; evicting the value");
      this.syncManager.events.storageFailed?.(error);
    }
    this.#evict(entry);
    return false;
  }

  // Memory must never claim what storage lacks: drop the value so it is reloaded from storage.
  #evict(entry: CoValueEntry): void {
    // Peers may believe we (or they) hold what was just dropped: forget our optimistic view.
    for (const peer of this.syncManager.peers.values()) peer.optimistic.delete(entry.id);
    // Our own writes may already have reached peers: continuing this session after a reload would
    // write different transactions at the same indices (a fork nobody can verify). Start anew.
    if ((entry.log?.sessions.get(this.sessionFor(entry.id))?.count ?? 0) > 0) this.#newSession();
    entry.log = undefined;
    entry.lastKnown = undefined;
    entry.state = "unknown";
  }

  checkDeletion(entry: CoValueEntry, sessionId: SessionId, piece: SessionPiece): DeleteCheck {
    const log = entry.log;
    if (log === undefined) return { type: "Rejected", reason: "CannotVerifyPermissions", message: `${entry.id} is not loaded` };
    const alreadyHeld = log.sessions.get(sessionId)?.count ?? 0;
    const fresh = piece.newTransactions.slice(Math.max(0, alreadyHeld - piece.after));
    return this.#checkDeleteTransactions(entry.id, log.header, sessionId, Math.min(alreadyHeld, piece.after), fresh);
  }

  #checkDeleteTransactions(coId: CoId, header: CoValueHeader, sessionId: SessionId, alreadyHeld: number, newTransactions: readonly Transaction[]): DeleteCheck {
    const ruleset = header.ruleset;
    const owner = ruleset.type === "ownedByGroup" ? this.permissions.group(ruleset.group) : undefined;
    return checkDeleteSession({ coId, header, sessionId, alreadyHeld, newTransactions, owner }, this.permissions);
  }

  /**
   * The in-memory part of a deletion: `entry` is marked deleted and keeps only its delete sessions.
   * Storage is left alone: for a deletion storage already holds (recorded by another process
   * sharing it); `markDeleted` also records it. Listeners are not notified here (callers do).
   */
  deleteInMemory(entry: CoValueEntry): void {
    entry.deleted = true;
    const sessions = entry.log?.sessions;
    if (sessions === undefined) return;
    for (const sessionId of [...sessions.keys()]) {
      if (!isDeleteSessionId(sessionId)) sessions.delete(sessionId);
    }
  }

  /**
   * Deletes `entry` in memory and records the tombstone in storage. Resolves true once recorded;
   * false if storage failed (then it is retried when the value is next loaded: a stored valid
   * delete session finishes its deletion). Acks of the deleting content wait for it.
   */
  markDeleted(entry: CoValueEntry): Promise<boolean> {
    this.deleteInMemory(entry);
    const storage = this.storage;
    if (storage === undefined) return Promise.resolve(true);
    const earlier = entry.durable;
    const recorded = entry.storageTail.then(
      () => storage.markDeleted(entry.id).then(() => true),
      () => false,
    ).catch((error: unknown) => {
      this.logger.error({ err: error, id: entry.id }, "could not record deletion; it is finished when the value is next loaded");
      this.syncManager.events.storageFailed?.(error);
      return false;
    });
    const result = Promise.all([earlier, recorded]).then(([before, now]) => before && now);
    entry.durable = result;
    entry.storageTail = result;
    return result;
  }

  /**
   * Deletes a value we administer (cojson `deleteCoValue`): one trusting transaction whose meta
   * names the value, alone in a fresh delete session. Afterwards only delete sessions sync.
   */
  deleteCoValue(id: CoId): void {
    const entry = this.#entries.get(id);
    const log = entry?.log;
    if (entry === undefined || log === undefined) throw new Error(`CoValue ${id} is not available; load it before deleting`);
    const sessionId: SessionId = `${this.accountId ?? this.agentId}_session_d${this.crypto.newDeleteSessionRandomPart()}$`;
    const tx = makeTrustingTransaction([], this.clock.now(), { deleted: id });
    const check = this.checkDeletion(entry, sessionId, { after: 0, newTransactions: [tx], lastSignature: "signature_z" as Signature });
    if (check.type !== "Delete") throw new PermissionError(`cannot delete ${id}: ${check.type === "Rejected" ? check.message : "not a deletion"}`);
    this.appendTransactionsAs(entry, sessionId, this.agentSecret, [tx]);
    void this.markDeleted(entry);
  }

  forgetIfUnused(entry: CoValueEntry): void {
    const unused =
      entry.log === undefined &&
      entry.lastKnown === undefined &&
      entry.listeners.size === 0 &&
      entry.parked.size === 0 &&
      entry.loading === undefined &&
      entry.pendingStorageWrites === 0;
    if (unused && this.#entries.get(entry.id) === entry) this.#entries.delete(entry.id);
  }

  #newSession(): void {
    const suffix = this.crypto.newSessionRandomPart();
    this.agentSessionId = `${this.agentId}_session_z${suffix}`;
    this.sessionId = this.accountId === undefined ? this.agentSessionId : `${this.accountId}_session_z${suffix}`;
    this.logger.warn({ sessionId: this.sessionId }, "storage lost local writes; continuing in a new session");
  }

  entryChanged(entry: CoValueEntry): void {
    entry.version++;
    if (entry.log?.header.ruleset.type === "group") this.groupsVersion++;
    entry.notify((error) => this.logger.error({ err: error, id: entry.id }, "a subscriber threw; sync goes on"));
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  #assertOpen(what: string): void {
    if (this.#closed) throw new NodeClosedError(`cannot ${what}: the node is closed`);
  }

  /** Unloads idle values now (the timer does this every `intervalMs`). Returns how many. */
  collectGarbage(): number {
    return this.#gc?.collect() ?? 0;
  }

  /** Flushes pending storage writes and unsynced marks, closes peers. Storage stays open (the caller owns it). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#gc?.stop();
    this.sealLocalWrites();
    for (const peer of this.syncManager.peers.values()) peer.channel.close({ code: 1001, reason: "node closing" });
    this.syncManager.loads.nodeClosed();
    await Promise.all([...this.#entries.values()].map((entry) => entry.storageTail));
    await this.syncManager.unsynced.flush();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Creates a LocalNode (see LocalNodeOptions). */
export function createLocalNode(options: LocalNodeOptions): LocalNode {
  return new LocalNode(options);
}
