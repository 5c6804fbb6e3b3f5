// An attacker property: one real sync server (SQLite file, quotas, bounded parking), two honest
// cosync accounts and one honest real cojson 0.20.19 account, all over real WebSockets, writing to
// values of their own groups; meanwhile "mallory", a raw WebSocket client, sends a generated
// sequence of hostile frames: forged and valid sessions mixed in one message, forged delete
// sessions in the admins' names, validly signed delete sessions by non-admins, huge headers,
// replays of honest content (exact, tampered, shifted, retargeted, with unsigned fields), honest
// deletions retargeted at other values, overlapping and out-of-order pieces, sessions of accounts
// the server doesn't know (revealed later, denied, or never), floods of small messages, garbage.
//
// Each run: the honest users create values and get first writes acknowledged; then they write
// again while mallory attacks those values and the ones set up with the users (accounts, groups,
// deleted throwaways) — a small, stable set of targets, so a shrunk counterexample hits the same
// kind of value. The server is shared by all runs; the honest users (new accounts, groups and
// connections) every EPOCH_RUNS runs. The cosync users connect authenticated as their accounts
// (per-account storage quota and message rate); mallory and the cojson user unauthenticated
// (per-connection quota).
//
// Invariant after each run (awaited by round trips, never by sleeping): everything an honest user
// got acknowledged is in storage and loads byte-identically (and with the expected content) on a
// fresh cosync client; no honest value is deleted; honest users were never refused; the server
// answers /health and loads; parked content stays within its global bound; no unsigned field
// reaches a fresh client or an honest subscriber; what the server holds of mallory's own validly
// signed sessions is a prefix of what she signed; no unhandled rejection or uncaught exception.
//
// Not generated: an honest piece resent under another session id of the same owner. Signatures
// cover the transactions' hash chain only, so cojson 0.20 itself accepts such a copy (it
// duplicates trusting list items, for instance); that is the wire format, not this server.
//
// ATTACK_RUNS (default 500) sets the number of runs, ATTACK_SEED / ATTACK_PATH replay a failure,
// ATTACK_NO_SHRINK=1 reports the first failing run unshrunk. `npm run attack` runs 10,000.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fc } from "@fast-check/vitest";
import {
  type AgentSecret,
  type CoId,
  type CoValueHeader,
  type ContentMessage,
  createTestClock,
  idForHeader,
  type JsonValue,
  type LocalNode,
  type SessionId,
  type SessionNewContent,
  serializeTransaction,
  type Transaction,
  type TrustingTransaction,
} from "@cosync/core";
import { type SyncServer, startSyncServer } from "@cosync/server";
import type { RawCoMap, RawGroup } from "cojson";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { RawClient } from "../../packages/server/src/test-fixtures/raw-client.js";
import { connectNewCojsonAccount } from "../helpers/cojson-sync-server.js";
import { createAccountNode, createTestNode, namedAccountNode, plainHeader } from "../helpers/nodes.js";
import {
  within,
  unknownId,
  newAgent,
  activeSession,
  deleteSession,
  clone,
  padTx,
  deletionTx,
  signSession,
  injected,
  content,
  storedSessions,
  authenticateByAccountParameter,
  Inbox,
  recordingBridge,
  type Model,
  type HonestValue,
  type CosyncUser,
  BOUND_MS,
  MARK,
  crypto,
  blake3,
} from "./attacker-helpers.js";
import {
  type HonestPlan,
  type Target,
  type SessionSpec,
  type Action,
  type Scenario,
  arbScenario,
} from "./attacker-scenario.js";

const RUNS = Number(process.env.ATTACK_RUNS ?? 500);
const SEED = process.env.ATTACK_SEED === undefined ? undefined : Number(process.env.ATTACK_SEED);
const PATH = process.env.ATTACK_PATH;
const MAX_PARKED_BYTES = 256 * 1024;
/** Runs sharing one set of honest users (see newHonestUsers). */
const EPOCH_RUNS = 100;
/**
 * Storage quota of each authenticated (honest cosync) account: an epoch of honest writes stores
 * under 50 KiB, so a quota spent by anyone else's doing shows within an epoch.
 */
const ACCOUNT_QUOTA_BYTES = 256 * 1024;
/**
 * Storage quota of each connection: an honest connection stores under 50 KiB an epoch; mallory (a
 * new connection every run) reaches it at times.
 */
const CONNECTION_QUOTA_BYTES = 192 * 1024;
/** Waits that only a bug makes long: a lost ack, a hung server. */

// ---- process-level failures -----------------------------------------------------------------

const processFailures: string[] = [];
const onUnhandled = (reason: unknown) => void processFailures.push(`unhandledRejection: ${describe(reason)}`);
const onUncaught = (error: unknown) => void processFailures.push(`uncaughtException: ${describe(error)}`);
process.on("unhandledRejection", onUnhandled);
process.on("uncaughtExceptionMonitor", onUncaught);

function describe(value: unknown): string {
  return value instanceof Error ? (value.stack ?? value.message) : String(value);
}

// ---- shared fixture (once per file) -----------------------------------------------------------

let dir: string;
let server: SyncServer;
let httpUrl: string;
let alice: CosyncUser;
let bob: CosyncUser;
let carol: Awaited<ReturnType<typeof connectNewCojsonAccount>> & { readonly group: RawGroup; readonly inbox: Inbox };
let mallory: { readonly accountId: CoId; readonly agent: AgentSecret };
/** Every honest value ever acknowledged (checked all together after the runs). */
const pool: HonestValue[] = [];
/**
 * What mallory can aim at in a run: the values set up once (accounts, groups, deleted throwaways)
 * and this run's own honest values. Kept this small and stable so a shrunk counterexample still
 * hits the same kind of value.
 */
const fixture: HonestValue[] = [];
let targets: HonestValue[] = [];
/** Honest content messages as they went over the wire: during set-up, and during this run's first phase. */
const fixtureCaptures: ContentMessage[] = [];
const runCaptures: ContentMessage[] = [];
let capturing: "fixture" | "run" | "off" = "fixture";
const capturedDeletions: ContentMessage[] = [];
let runNumber = 0;

function capture(message: unknown): void {
  if (message === null || typeof message !== "object" || (message as { action?: unknown }).action !== "content") return;
  const copy = clone(message) as ContentMessage;
  if (capturing === "fixture") {
    fixtureCaptures.push(copy);
    if (Object.keys(copy.new).some((session) => session.endsWith("$"))) capturedDeletions.push(copy);
  } else if (capturing === "run" && runCaptures.length < 50) {
    runCaptures.push(copy);
  }
}

function honest(value: HonestValue, into: HonestValue[] = fixture): HonestValue {
  into.push(value);
  pool.push(value);
  return value;
}

function captureCojsonFrame(data: unknown): void {
  if (typeof data !== "string") return;
  for (const line of data.split("\n")) {
    try {
      capture(JSON.parse(line));
    } catch {
      // not ours to judge
    }
  }
}

async function cosyncUser(name: "A" | "B"): Promise<CosyncUser> {
  const node = await namedAccountNode(name === "A" ? "Alice" : "Bob");
  const bridge = await recordingBridge(node, `${server.url}/?account=${node.accountId}`, capture);
  const group = node.createGroup();
  await within(node.syncManager.waitForAllSynced(), BOUND_MS, `${name}'s account and group synced`);
  const accountId = node.accountId as CoId;
  const user: CosyncUser = { name, node, accountId, group: group.id, bridge };
  honest(honestOf(user, accountId, undefined));
  honest(honestOf(user, group.id, undefined));
  return user;
}

function ownSession(user: CosyncUser, id: CoId): string[] {
  return [...(user.node.peekEntry(id)?.log?.sessions.get(user.node.sessionFor(id))?.serialized ?? [])];
}

function honestOf(user: CosyncUser, id: CoId, model: Model | undefined, deleted = false): HonestValue {
  const isGroupLike = id === user.accountId || id === user.group;
  return {
    id,
    user: user.name,
    admin: user.accountId,
    group: isGroupLike ? undefined : user.group,
    session: user.node.sessionFor(id),
    acked: ownSession(user, id),
    model,
    deleted,
  };
}

/** Transactions of a cojson value's session `session` (carol's own by default), as cosync's canonical texts. */
function cojsonSession(value: RawCoMap | RawGroup, session: SessionId = carol.node.currentSessionID as unknown as SessionId): string[] {
  const txs: string[] = [];
  for (const message of value.core.newContentSince(undefined) ?? []) {
    const piece = (message.new as Record<string, { after: number; newTransactions: Transaction[] }>)[session];
    if (piece === undefined) continue;
    expect(piece.after).toBe(txs.length);
    txs.push(...piece.newTransactions.map((tx) => serializeTransaction(tx)));
  }
  return txs;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cosync-attack-"));
  server = await startSyncServer({
    port: 0,
    db: join(dir, "sync.db"),
    processMetrics: false,
    log: { level: "silent" },
    // The honest cosync users connect authenticated as their accounts (their storage quota);
    // mallory and the cojson user connect unauthenticated (bounded per connection).
    authenticate: authenticateByAccountParameter,
    limits: {
      storageQuotaBytes: ACCOUNT_QUOTA_BYTES,
      // Far above what an honest user sends; mallory's junk relayed to them must not count.
      account: { messages: { perSecond: 1000, burst: 200 } },
      connectionQuotaBytes: CONNECTION_QUOTA_BYTES,
      maxParkedBytes: MAX_PARKED_BYTES,
      maxParkedPerConnection: 32,
    },
  });
  httpUrl = server.url.replace("ws://", "http://");
  // Mallory has an account of her own the server knows (she is admin of nothing honest).
  const malloryNode = await namedAccountNode("Mallory");
  const bridge = await recordingBridge(malloryNode, server.url, () => {});
  await within(malloryNode.syncManager.waitForAllSynced(), BOUND_MS, "mallory's account synced");
  await bridge.close();
  mallory = { accountId: malloryNode.accountId as CoId, agent: malloryNode.agentSecret };

  await newHonestUsers();
});

/**
 * Honest users for the next runs: new accounts, groups and connections, and deletions by them (so
 * replays can retarget real delete transactions). Mallory may legitimately store validly signed
 * junk in their accounts and groups (a blind server keeps any verified session), which every
 * later run's fresh reader loads: users are replaced every EPOCH_RUNS runs so runs stay cheap.
 */
async function newHonestUsers(): Promise<void> {
  await alice?.bridge.close();
  await bob?.bridge.close();
  await carol?.close();
  fixture.length = 0;
  fixtureCaptures.length = 0;
  capturedDeletions.length = 0;
  capturing = "fixture";
  alice = await cosyncUser("A");
  bob = await cosyncUser("B");
  carol = await cojsonUser();
  await honestThrowawayDeletion(alice);
  await honestThrowawayDeletion(bob);
  capturing = "off";
  // The tombstones are written after the deletions' acks: wait for them (storage tails) too.
  await within(server.node.syncManager.settled(), BOUND_MS, "the server's storage settled");
}

async function cojsonUser(): Promise<typeof carol> {
  const client = await connectNewCojsonAccount(server.url, "Carol");
  const inbox = new Inbox();
  client.websocket.on("message", (data) => inbox.receive(data.toString()));
  const send = client.websocket.send.bind(client.websocket);
  client.websocket.send = ((data: unknown, ...rest: unknown[]) => {
    captureCojsonFrame(data);
    return (send as (...args: unknown[]) => void)(data, ...rest);
  }) as typeof client.websocket.send;
  const group = client.node.createGroup();
  await within(client.node.syncManager.waitForAllCoValuesSync(), BOUND_MS, "carol's account and group synced");
  const account = client.node.expectCurrentAccount("carol's account") as unknown as RawGroup;
  const accountId = client.accountID as CoId;
  const accountSession = Object.keys(account.core.knownState().sessions)[0] as SessionId;
  const session = client.node.currentSessionID as unknown as SessionId;
  const user = { ...client, group, inbox };
  const about = { user: "C", admin: accountId, group: undefined, model: undefined, deleted: false } as const;
  honest({ ...about, id: group.id as CoId, session, acked: cojsonSession(group, session) });
  honest({ ...about, id: accountId, session: accountSession, acked: cojsonSession(account, accountSession) });
  return user;
}

afterAll(async () => {
  process.off("unhandledRejection", onUnhandled);
  process.off("uncaughtExceptionMonitor", onUncaught);
  await carol?.close();
  await alice?.bridge.close();
  await bob?.bridge.close();
  await server?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** Waits for `user`'s writes to `ids` to be acknowledged, failing at once if the user is refused. */
async function acknowledged(user: CosyncUser, ids: readonly CoId[], what: string): Promise<void> {
  const refusal = user.bridge.inbox.refusal(user.name);
  try {
    await Promise.race([within(Promise.all(ids.map((id) => user.node.syncManager.waitForSync(id))), BOUND_MS, what), refusal.promise]);
  } finally {
    refusal.stop();
  }
}

async function honestThrowawayDeletion(user: CosyncUser): Promise<void> {
  const map = user.node.getGroup(user.group)?.createMap() ?? expect.fail(`${user.name}'s group`);
  map.set("doomed", true, "trusting");
  await acknowledged(user, [map.id], `${user.name}'s throwaway written`);
  user.node.deleteCoValue(map.id);
  await acknowledged(user, [map.id], `${user.name}'s deletion acknowledged`);
  honest({ ...honestOf(user, map.id, undefined, true), acked: [] });
}

// ---- honest side of a run -------------------------------------------------------------------

/** One honest value of this run: its user writes to it and waits for the server's acknowledgement. */
interface Live {
  readonly value: HonestValue;
  write(count: number, tag: string): void;
  /** Resolves once everything written is acknowledged (and records it as acknowledged). */
  acknowledged(): Promise<void>;
}

function cosyncLive(user: CosyncUser, kind: "map" | "list"): Live {
  const group = user.node.getGroup(user.group) ?? expect.fail(`${user.name}'s group`);
  const model: Model = kind === "map" ? { kind, entries: {} } : { kind, items: [] };
  const handle = kind === "map" ? group.createMap() : group.createList();
  const value = honestOf(user, handle.id, model);
  return {
    value,
    write(count, tag) {
      for (let i = 0; i < count; i++) {
        const item = `${user.name} ${tag}.${i}`;
        if (model.kind === "map") {
          model.entries[`${tag}k${i}`] = item;
          user.node.getMap(handle.id)?.set(`${tag}k${i}`, item, "trusting");
        } else {
          model.items.push(item);
          user.node.getList(handle.id)?.append(item, "trusting");
        }
      }
    },
    async acknowledged() {
      await acknowledged(user, [handle.id], `${user.name}'s ${kind} ${handle.id}`);
      value.acked = ownSession(user, handle.id);
    },
  };
}

function cojsonLive(): Live {
  const map = carol.group.createMap();
  const entries: Record<string, JsonValue> = {};
  const value: HonestValue = {
    id: map.id as CoId,
    user: "C",
    admin: carol.accountID as CoId,
    group: carol.group.id as CoId,
    session: carol.node.currentSessionID as unknown as SessionId,
    acked: [],
    model: { kind: "map", entries },
    deleted: false,
  };
  return {
    value,
    write(count, tag) {
      for (let i = 0; i < count; i++) {
        entries[`${tag}c${i}`] = `carol ${tag}.${i}`;
        map.set(`${tag}c${i}`, `carol ${tag}.${i}`, "trusting");
      }
    },
    async acknowledged() {
      const refusal = carol.inbox.refusal("carol");
      try {
        await Promise.race([within(map.core.waitForSync({ timeout: BOUND_MS }), BOUND_MS, `carol's map ${map.id}`), refusal.promise]);
      } finally {
        refusal.stop();
      }
      value.acked = cojsonSession(map);
    },
  };
}

/** Creates this run's honest values with their first writes, acknowledged. */
async function honestValues(plan: HonestPlan, run: number): Promise<Live[]> {
  const live: Live[] = [];
  if (plan.map[0] > 0) live.push(cosyncLive(alice, "map"));
  if (plan.list[0] > 0) live.push(cosyncLive(bob, "list"));
  if (plan.cojson[0] > 0) live.push(cojsonLive());
  const writes = [plan.map, plan.list, plan.cojson].filter(([first]) => first > 0);
  for (const [index, value] of live.entries()) value.write(writes[index]?.[0] ?? 0, `r${run}a`);
  await Promise.all(live.map((value) => value.acknowledged()));
  return live;
}

/** This run's second honest writes, made at once (while mallory attacks); resolves once acknowledged. */
function honestWrites(live: readonly Live[], plan: HonestPlan, run: number): Promise<void> {
  const writes = [plan.map, plan.list, plan.cojson].filter(([first]) => first > 0);
  for (const [index, value] of live.entries()) value.write(writes[index]?.[1] ?? 0, `r${run}b`);
  return Promise.all(live.map((value) => value.acknowledged())).then(() => {});
}

// ---- mallory --------------------------------------------------------------------------------

/** What one run of mallory touched: values to check afterwards, and her valid sessions' intended transactions. */
interface MalloryRun {
  readonly client: RawClient;
  readonly honestTargets: Set<HonestValue>;
  readonly ownValues: Set<CoId>;
  /** Her validly signed sessions: what the server holds of each must be a prefix of these. */
  readonly signed: Array<{ readonly id: CoId; readonly session: SessionId; readonly txs: readonly TrustingTransaction[] }>;
}

function pickHonest(run: MalloryRun, pick: number, filter: (value: HonestValue) => boolean = () => true): HonestValue | undefined {
  const candidates = targets.filter(filter);
  const value = candidates[pick % Math.max(1, candidates.length)];
  if (value !== undefined) run.honestTargets.add(value);
  return value;
}

/** A target's id, and the header to send with the first message (for mallory's own new values). */
function resolveTarget(
  run: MalloryRun,
  target: Target,
): { readonly id: CoId; readonly header?: CoValueHeader; readonly honest?: HonestValue } {
  if (target.kind === "honest") {
    const honest = pickHonest(run, target.pick);
    if (honest !== undefined) return { id: honest.id, honest };
  }
  const header: CoValueHeader =
    target.kind === "ownInUnknownGroup"
      ? { ...plainHeader(crypto), ruleset: { type: "ownedByGroup", group: unknownId() } }
      : plainHeader(crypto);
  const id = idForHeader(header, blake3);
  run.ownValues.add(id);
  return { id, header };
}

/** A late account: exists at mallory only, until she reveals it (or never does). */
async function lateAccount() {
  const node = await createAccountNode();
  node.sealLocalWrites();
  const accountId = node.accountId as CoId;
  const messages = node.peekEntry(accountId)?.log?.contentSince(undefined) ?? expect.fail("the late account's log");
  return { accountId, agent: node.agentSecret, messages };
}

async function sessionPiece(
  run: MalloryRun,
  spec: SessionSpec,
  target: { readonly id: CoId; readonly honest?: HonestValue },
  late: () => Promise<Awaited<ReturnType<typeof lateAccount>>>,
  index: number,
): Promise<[SessionId, SessionNewContent]> {
  let owner: string;
  let agent: AgentSecret;
  let valid = spec.sig === "valid";
  if (spec.sig === "valid") {
    if (spec.signer === "freshAgent") {
      agent = newAgent();
      owner = crypto.agentId(agent);
    } else if (spec.signer === "malloryAccount") {
      agent = mallory.agent;
      owner = mallory.accountId;
    } else {
      const account = await late();
      agent = account.agent;
      owner = account.accountId;
    }
  } else {
    agent = newAgent(); // signs the right chain with the wrong key
    if (spec.owner === "freshAgent") owner = crypto.agentId(newAgent());
    else if (spec.owner === "malloryAccount") owner = mallory.accountId;
    else if (spec.owner === "unknownAccount") owner = unknownId();
    else owner = target.honest?.admin ?? (pickHonest(run, index)?.admin as string);
    valid = false;
  }
  const sessionId = spec.deletes ? deleteSession(owner) : activeSession(owner);
  const txs = Array.from({ length: spec.txs }, (_, i) => (spec.deletes && i === 0 ? deletionTx(target.id) : padTx(spec.pad, i)));
  const signed = signSession(sessionId, agent, txs);
  if (valid) run.signed.push({ id: target.id, session: sessionId, txs });
  const piece = signed.piece(0, txs.length);
  return [sessionId, spec.inject ? injected(piece) : piece];
}

const garbageFrames = (honestId: CoId, honestSession: SessionId, depth: number): Array<string | Buffer> => [
  "{not json",
  "[1,2,3]",
  "null",
  "42",
  '"a string"',
  "",
  '{"action":"content"}',
  '{"action":"bogus","id":"co_zNOPE"}',
  `{"action":"content","id":"${honestId}","priority":3,"new":{"__proto__":{"after":0,"newTransactions":[],"lastSignature":"x"}}}`,
  `{"action":"known","id":"${honestId}","header":true,"sessions":{"constructor":5,"__proto__":7}}`,
  '{"action":"load","id":"toString","header":false,"sessions":{}}',
  `{"action":"content","id":"${honestId}","priority":3,"new":{"${honestSession}":{"after":-1,"newTransactions":[],"lastSignature":"signature_z1"}}}`,
  `{"action":"content","id":"${honestId}","priority":3,"new":{"${honestSession}":{"after":1e308,"newTransactions":[{"privacy":"trusting","madeAt":1,"changes":"[]"}],"lastSignature":"signature_z1"}}}`,
  `{"action":"content","id":"${honestId}","priority":3,"new":{"${honestSession}":{"after":0.5,"newTransactions":{},"lastSignature":5}}}`,
  `{"action":"content","id":"${honestId}","priority":99,"new":{"${honestSession}":{"after":0,"newTransactions":[{"privacy":"private","madeAt":-1}],"lastSignature":"signature_z1"}}}`,
  `{"action":"content","id":"${honestId}","priority":3,"new":{"${honestSession}":{"after":0,"newTransactions":[{"privacy":"trusting","madeAt":1,"changes":"\\ud800"}],"lastSignature":"signature_z1"}}}`,
  `{"action":"reconcile","id":"r1","values":[["${honestId}",{"header":true,"sessions":{}}],["co_zNOPE",7]]}`,
  `{"action":"content","id":"${unknownId()}","priority":3,"header":{"type":"comap","ruleset":{"type":"unsafeAllowAll"},"meta":${"[".repeat(depth)}${"]".repeat(depth)},"createdAt":null,"uniqueness":null},"new":{}}`,
  `{"action":"load","id":"${honestId}","header":false,"sessions":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`,
  `{"action":"known","id":"${honestId}","header":true,"sessions":{"${honestSession}":${Number.MAX_SAFE_INTEGER}}}`,
  `{"action":"content","id":"${honestId}","priority":3,"new":{"${"x".repeat(depth)}":{"after":0,"newTransactions":[],"lastSignature":"signature_z1"}}}`,
  Buffer.from([0, 1, 2, 3]),
  `{"error":{"code":"Forbidden","message":"a client's notice"}}`,
  `{"time":1,"type":"ping"}`,
  `{"action":"content","id":"${honestId}","priority":3,"new":{"${honestSession}":{"after":0,"newTransactions":[${'{"privacy":"trusting","madeAt":1,"changes":"[]"},'.repeat(Math.min(depth, 20_000))}{"privacy":"trusting","madeAt":1,"changes":"[]"}],"lastSignature":"signature_z1"}}}`,
];

async function performAction(run: MalloryRun, action: Action): Promise<void> {
  const client = run.client;
  switch (action.kind) {
    case "mixed": {
      const target = resolveTarget(run, action.target);
      let account: Awaited<ReturnType<typeof lateAccount>> | undefined;
      const late = async () => {
        account ??= await lateAccount();
        return account;
      };
      const pieces: Record<string, SessionNewContent> = {};
      for (const [index, spec] of action.sessions.entries()) {
        const [sessionId, piece] = await sessionPiece(run, spec, target, late, index);
        pieces[sessionId] = piece;
      }
      const message = content(target.id, pieces, target.header);
      client.send(action.extra ? { ...message, extra: MARK } : message);
      const unknownOwners = Object.keys(pieces)
        .map((session) => session.slice(0, session.indexOf("_session_")))
        .filter((owner) => owner.startsWith("co_z") && owner !== mallory.accountId && !pool.some((value) => value.admin === owner));
      if (action.reveal === "notFound") {
        for (const owner of unknownOwners) client.send({ action: "known", id: owner, header: false, sessions: {} });
      } else if (action.reveal === "after" && account !== undefined) {
        client.send(...account.messages);
      }
      return;
    }
    case "forgedDelete": {
      const victim = pickHonest(run, action.pick, (value) => !value.deleted);
      if (victim === undefined) return;
      const session = deleteSession(victim.admin);
      const pieces: Record<string, SessionNewContent> = {
        [session]: signSession(session, newAgent(), [deletionTx(victim.id)]).piece(0, 1),
      };
      if (action.withValid) {
        const agent = newAgent();
        const valid = activeSession(crypto.agentId(agent));
        const txs = [padTx(10, 0)];
        pieces[valid] = signSession(valid, agent, txs).piece(0, 1);
        run.signed.push({ id: victim.id, session: valid, txs });
      }
      client.send(content(victim.id, pieces));
      return;
    }
    case "malloryDelete": {
      const victim = pickHonest(run, action.pick, (value) => !value.deleted);
      if (victim === undefined) return;
      const agent = action.signer === "agent" ? newAgent() : mallory.agent;
      const session = deleteSession(action.signer === "agent" ? crypto.agentId(agent) : mallory.accountId);
      client.send(content(victim.id, { [session]: signSession(session, agent, [deletionTx(victim.id)]).piece(0, 1) }));
      return;
    }
    case "hugeHeader": {
      const header: CoValueHeader = { ...plainHeader(crypto), meta: { pad: "h".repeat(action.bytes) } };
      const id = action.variant === "wrongId" ? unknownId() : idForHeader(header, blake3);
      const sent = action.variant === "injectedAfterHash" ? ({ ...header, injected: MARK } as CoValueHeader) : header;
      const pieces: Record<string, SessionNewContent> = {};
      if (action.withTx) {
        const agent = newAgent();
        const session = activeSession(crypto.agentId(agent));
        const txs = [padTx(10, 0)];
        pieces[session] = signSession(session, agent, txs).piece(0, 1);
        if (action.variant === "ok") run.signed.push({ id, session, txs });
      }
      run.ownValues.add(id);
      client.send(content(id, pieces, sent));
      return;
    }
    case "replay": {
      const replayable = [...fixtureCaptures, ...runCaptures];
      const original = replayable[action.pick % Math.max(1, replayable.length)];
      if (original === undefined) return;
      const replay = clone(original) as { -readonly [K in keyof ContentMessage]: ContentMessage[K] } & Record<string, unknown>;
      const pieces = replay.new as Record<string, SessionNewContent & Record<string, unknown>>;
      const sessions = Object.keys(pieces);
      const first = sessions[0];
      const firstPiece = first === undefined ? undefined : pieces[first];
      switch (action.variant) {
        case "exact":
          break;
        case "tamper":
          if (firstPiece !== undefined && firstPiece.newTransactions.length > 0) {
            const [tx, ...rest] = firstPiece.newTransactions;
            pieces[first as string] = {
              ...firstPiece,
              newTransactions: [{ ...(tx as Transaction), madeAt: (tx as Transaction).madeAt + 1 }, ...rest],
            };
          }
          break;
        case "inject":
          for (const session of sessions)
            pieces[session] = injected(pieces[session] as SessionNewContent) as SessionNewContent & Record<string, unknown>;
          replay.extra = MARK;
          break;
        case "truncate":
          if (firstPiece !== undefined)
            pieces[first as string] = { ...firstPiece, newTransactions: firstPiece.newTransactions.slice(0, -1) };
          break;
        case "shift":
          for (const session of sessions) {
            const piece = pieces[session] as SessionNewContent;
            pieces[session] = { ...piece, after: piece.after + 1 };
          }
          break;
        case "retarget": {
          // Same sessions, another honest value (or the same): no header, the server holds it.
          const other = pickHonest(run, action.to);
          if (other === undefined) return;
          replay.id = other.id;
          delete replay.header;
          break;
        }
        case "intoOwn": {
          // The honest signed pieces copied into values of mallory's own, many times: stored (the
          // signatures hold), and charged to mallory's connection, never to the honest signer.
          for (let copy = 0; copy <= action.to % 20; copy++) {
            const own = resolveTarget(run, { kind: "own" });
            client.send({ ...replay, id: own.id, header: own.header });
          }
          return;
        }
      }
      const honest = pool.find((value) => value.id === replay.id);
      if (honest !== undefined) run.honestTargets.add(honest);
      client.send(replay);
      return;
    }
    case "retargetDeletion": {
      const deletion = capturedDeletions[action.pick % Math.max(1, capturedDeletions.length)];
      const victim = pickHonest(run, action.to, (value) => !value.deleted && value.group !== undefined);
      if (deletion === undefined || victim === undefined) return;
      const pieces = Object.fromEntries(Object.entries(deletion.new).filter(([session]) => session.endsWith("$")));
      client.send(content(victim.id, pieces));
      return;
    }
    case "ranges": {
      const target = resolveTarget(run, action.target);
      const agent = action.signer === "freshAgent" ? newAgent() : mallory.agent;
      const session = activeSession(action.signer === "freshAgent" ? crypto.agentId(agent) : mallory.accountId);
      const txs = Array.from({ length: action.total }, (_, i) => padTx(i * 7, i));
      const signed = signSession(session, agent, txs);
      run.signed.push({ id: target.id, session, txs });
      const messages = action.ranges.map(([from, length], index) => {
        const piece = signed.piece(from, Math.min(action.total, from + length));
        const withHeader = index === 0 ? target.header : undefined;
        return content(target.id, { [session]: action.inject ? injected(piece) : piece }, withHeader);
      });
      if (action.oneFrame) client.send(...messages);
      else for (const message of messages) client.send(message);
      return;
    }
    case "flood": {
      const messages = action.items.map((item, index): unknown => {
        const victim = pickHonest(run, index * 7919 + action.items.length);
        const id = victim?.id ?? unknownId();
        switch (item) {
          case "forgedHonest": {
            const session = activeSession(victim?.admin ?? mallory.accountId);
            return content(id, { [session]: signSession(session, newAgent(), [padTx(20, 0)]).piece(0, 1) });
          }
          case "validJunk": {
            // Stored and relayed to the honest subscribers, which answer it.
            const agent = newAgent();
            const session = activeSession(crypto.agentId(agent));
            const txs = [padTx(10, index)];
            run.signed.push({ id, session, txs });
            return content(id, { [session]: signSession(session, agent, txs).piece(0, 1) });
          }
          case "forgedUnknown": {
            const session = activeSession(unknownId());
            return content(id, { [session]: signSession(session, newAgent(), [padTx(20, 0)]).piece(0, 1) });
          }
          case "load":
            return { action: "load", id: index % 2 === 0 ? id : unknownId(), header: false, sessions: {} };
          case "known":
            return { action: "known", id, header: true, sessions: victim === undefined ? {} : { [victim.session]: 1_000_000 } };
          case "done":
            return { action: "done", id };
          default: {
            // A valid session of a value whose header was never sent.
            const agent = newAgent();
            const session = activeSession(crypto.agentId(agent));
            return content(unknownId(), { [session]: signSession(session, agent, [padTx(5, 0)]).piece(0, 1) });
          }
        }
      });
      for (let start = 0; start < messages.length; start += 50) client.send(...messages.slice(start, start + 50));
      return;
    }
    case "garbage": {
      const victim = pickHonest(run, action.variant * 31) ?? fixture[0];
      if (victim === undefined) return;
      const frames = garbageFrames(victim.id, victim.session, action.depth);
      const frame = frames[action.variant % frames.length] as string | Buffer;
      client.ws.send(frame);
      return;
    }
  }
}

/** Resolves once the server handled everything mallory sent (a load round trip, or it closed her) and committed it. */
async function malloryDone(client: RawClient): Promise<void> {
  const probe = unknownId();
  client.send({ action: "load", id: probe, header: false, sessions: {} });
  const answered = client.waitFor((entry) => entry.action === "known" && entry.id === probe, "the answer to mallory's probe", BOUND_MS);
  const outcome = await Promise.race([answered.then(() => "answered" as const), client.closed.then(() => "closed" as const)]);
  if (outcome === "closed") answered.catch(() => {});
  // Handled is not yet stored: wait until what it stored is committed too.
  await within(server.node.syncManager.settled(), BOUND_MS, "the server committing what mallory sent");
}

// ---- the invariant --------------------------------------------------------------------------

async function bridgedReader() {
  const reader = await createTestNode();
  const inbox = new Inbox();
  const bridge = await recordingBridge(reader, server.url, () => {});
  bridge.raw.ws.on("message", (data) => inbox.receive(data.toString()));
  return { reader, inbox, close: bridge.close };
}

async function expectServes(reader: LocalNode, value: HonestValue): Promise<void> {
  const what = `honest ${value.user} value ${value.id}`;
  const storage = server.node.storage ?? expect.fail("no storage");
  expect(await storage.isDeleted(value.id), `${what}: deleted`).toBe(value.deleted);
  if (value.deleted) return;
  // Each honest write is one transaction: what was recorded as acknowledged is all of it.
  const writes =
    value.model === undefined ? undefined : value.model.kind === "map" ? Object.keys(value.model.entries).length : value.model.items.length;
  if (writes !== undefined) expect(value.acked.length, `${what}: transactions acknowledged`).toBe(writes);
  const stored = await storedSessions(server, value.id);
  expect(stored.get(value.session)?.slice(0, value.acked.length), `${what}: acknowledged transactions in storage`).toEqual(value.acked);
  for (const dependency of [value.admin, value.group]) {
    if (dependency !== undefined) expect((await within(reader.load(dependency), BOUND_MS, `loading ${dependency}`)).status).toBe("loaded");
  }
  expect((await within(reader.load(value.id), BOUND_MS, `loading ${what}`)).status, `${what}: loads`).toBe("loaded");
  const served = [...(reader.peekEntry(value.id)?.log?.sessions.get(value.session)?.serialized ?? [])];
  expect(served.slice(0, value.acked.length), `${what}: acknowledged transactions served`).toEqual(value.acked);
  if (value.model?.kind === "map") expect(reader.getMap(value.id)?.toJSON(), `${what}: content`).toEqual(value.model.entries);
  if (value.model?.kind === "list") expect(reader.getList(value.id)?.asArray(), `${what}: content`).toEqual(value.model.items);
}

async function expectSignedPrefix(reader: LocalNode, signed: MalloryRun["signed"][number]): Promise<void> {
  const intended = signed.txs.map((tx) => serializeTransaction(tx));
  const stored = (await storedSessions(server, signed.id)).get(signed.session) ?? [];
  expect(intended.slice(0, stored.length), `mallory's valid session ${signed.session} in ${signed.id}: stored a prefix`).toEqual(stored);
  const served = [...(reader.peekEntry(signed.id)?.log?.sessions.get(signed.session)?.serialized ?? [])];
  expect(intended.slice(0, served.length), `mallory's valid session ${signed.session} in ${signed.id}: served a prefix`).toEqual(served);
}

async function runOnce(scenario: Scenario): Promise<void> {
  const run = ++runNumber;
  if (run % EPOCH_RUNS === 0) await newHonestUsers();
  for (const inbox of [alice.bridge.inbox, bob.bridge.inbox, carol.inbox]) inbox.reset();
  runCaptures.length = 0;
  capturing = "run";
  const live = await honestValues(scenario.honest, run);
  capturing = "off";
  for (const { value } of live) pool.push(value);
  targets = [...fixture, ...live.map(({ value }) => value)];
  const client = await RawClient.connect(server.url);
  const malloryRun: MalloryRun = { client, honestTargets: new Set(), ownValues: new Set(), signed: [] };
  const reader = await bridgedReader();
  try {
    // Honest users write again while mallory attacks.
    const written = honestWrites(live, scenario.honest, run);
    written.catch(() => {});
    for (const action of scenario.actions) await performAction(malloryRun, action);
    await malloryDone(client);
    await written;

    expect((await fetch(`${httpUrl}/health`)).status, "/health").toBe(200);
    expect(server.node.syncManager.parked.bytes, "bytes parked across connections").toBeLessThanOrEqual(MAX_PARKED_BYTES);
    const toCheck = new Set<HonestValue>([...live.map(({ value }) => value), ...malloryRun.honestTargets]);
    await Promise.all([...toCheck].map((value) => expectServes(reader.reader, value)));
    // What the server holds of mallory's values is loaded too (for the unsigned fields); a load of
    // a value the server lacks would only wait out the client's load timeout.
    const storage = server.node.storage ?? expect.fail("no storage");
    const malloryIds = new Set([...malloryRun.ownValues, ...malloryRun.signed.map((signed) => signed.id)]);
    await Promise.all(
      [...malloryIds].map(async (id) => {
        if ((await storage.knownState(id)) !== undefined) await within(reader.reader.load(id), BOUND_MS, `loading mallory's ${id}`);
      }),
    );
    for (const signed of malloryRun.signed) await expectSignedPrefix(reader.reader, signed);
    const seen = [reader.inbox, alice.bridge.inbox, bob.bridge.inbox, carol.inbox].flatMap((inbox) => inbox.texts).join("\n");
    expect(seen.includes(MARK), "an unsigned field reached a client").toBe(false);
    for (const [who, inbox] of [
      ["alice", alice.bridge.inbox],
      ["bob", bob.bridge.inbox],
      ["carol", carol.inbox],
    ] as const) {
      expect(inbox.notices, `notices to honest ${who}`).toEqual([]);
    }
    expect(processFailures).toEqual([]);
  } finally {
    await client.close();
    await reader.close();
  }
}

test(
  `attacker property: honest acknowledged content survives mallory (${RUNS} runs)`,
  async () => {
    await fc.assert(fc.asyncProperty(arbScenario, runOnce), {
      numRuns: RUNS,
      ...(SEED === undefined ? {} : { seed: SEED }),
      ...(PATH === undefined ? {} : { path: PATH }),
      endOnFailure: process.env.ATTACK_NO_SHRINK === "1",
    });
  },
  Math.max(120_000, RUNS * 300),
);

test(
  "after every run: all honest values still serve, nothing waits parked, no unhandled rejection",
  async () => {
    const { reader, close } = await bridgedReader();
    try {
      for (let start = 0; start < pool.length; start += 20) {
        await Promise.all(pool.slice(start, start + 20).map((value) => expectServes(reader, value)));
      }
    } finally {
      await close();
    }
    // Every mallory connection is closed: what she parked went with it.
    await vi.waitFor(() => expect(server.node.syncManager.parked.count).toBe(0), { timeout: BOUND_MS });
    expect(processFailures).toEqual([]);
  },
  Math.max(120_000, RUNS * 30),
);

// Regression (found by this suite): account rates were charged for every message of a connection
// authenticated as the account, including the `known` a client sends back for each content message
// the server relays to it. A stranger writing validly signed junk (any number of fresh agents) into
// a value the victim subscribes to made the victim's own acks spend its message budget, and the
// victim's next write was refused with RateLimited.
test("junk a stranger gets relayed to an honest subscriber does not spend the honest account's message rate", async () => {
  const own = await startSyncServer({
    port: 0,
    inMemory: true,
    processMetrics: false,
    log: { level: "silent" },
    clock: createTestClock(), // no refill: only what is charged counts
    authenticate: authenticateByAccountParameter,
    limits: { account: { messages: { perSecond: 1, burst: 50 } } },
  });
  const victim = await namedAccountNode("Victim");
  let watched: CoId | undefined;
  let acksSent = 0;
  let onAck = () => {};
  const bridge = await recordingBridge(victim, `${own.url}/?account=${victim.accountId}`, (message) => {
    const sent = message as { action?: string; id?: string };
    if (sent.action === "known" && sent.id === watched) {
      acksSent++;
      onAck();
    }
  });
  const stranger = await RawClient.connect(own.url);
  try {
    const map = victim.createGroup().createMap();
    map.set("mine", "yes", "trusting");
    await within(victim.syncManager.waitForAllSynced(), BOUND_MS, "the victim's map synced");
    watched = map.id;
    const before = acksSent;
    const JUNK = 60;
    const relayedAndAcknowledged = new Promise<void>((resolve) => {
      onAck = () => {
        if (acksSent - before >= JUNK) resolve();
      };
    });
    for (let i = 0; i < JUNK; i++) {
      const agent = newAgent();
      const session = activeSession(crypto.agentId(agent));
      stranger.send(content(map.id, { [session]: signSession(session, agent, [padTx(5, i)]).piece(0, 1) }));
    }
    await within(relayedAndAcknowledged, BOUND_MS, "the victim acknowledging the relayed junk");
    // A round trip on the victim's socket (answered, or refused): the server has handled every ack the victim sent.
    const probe = unknownId();
    bridge.raw.send({ action: "load", id: probe, header: false, sessions: {} });
    await bridge.raw.waitFor((entry) => entry.id === probe || entry.error?.id === probe, "the victim's probe answered", BOUND_MS);

    map.set("later", "honest", "trusting");
    const refusal = bridge.inbox.refusal("the victim");
    const outcome = await Promise.race([
      within(map.waitForSync(), BOUND_MS, "the victim's write").then(() => "acknowledged"),
      refusal.promise.catch((error: Error) => error.message),
    ]).finally(() => refusal.stop());
    expect(outcome).toBe("acknowledged");
  } finally {
    await stranger.close();
    await bridge.close();
    await own.close();
  }
});
