// A storage that fails at random (seeded): a quarter of the calls to summary, load, knownState,
// append and isDeleted throw, reject, fail halfway through a load, or fail after an append
// committed. Honest clients write and load through the server meanwhile. The server must never
// crash or leave a client without an answer, must refuse explicitly (StorageFailure), must report
// itself not ready while storage fails and ready again once an append commits, must never
// acknowledge what storage lacks, and must catch up with every client once storage works again.
import {
  type CoId,
  type CoValueHandle,
  createMemoryStorage,
  type KnownState,
  type LocalNode,
  type SessionId,
  StorageError,
  type StorageAdapter,
  type StoredPiece,
} from "@cosync/core";
import { afterEach, expect, test, vi } from "vitest";
import { createTestNode, namedAccountNode, plainHeader, testCrypto } from "../../../tests/helpers/nodes.js";
import { type SyncServer, startSyncServer } from "./start-sync-server.js";
import { type BridgedNode, bridgeNode, type Entry, RawClient } from "./test-fixtures/raw-client.js";

const SEED = Number(process.env.FAULTY_STORAGE_SEED ?? 20_260_125);
/** How long an answer may take before the server counts as not answering. */
const ANSWER_MS = 5000;

const crypto = await testCrypto();

// ---- process-level failures: outside a test runner either would end the server's process ----

const processFailures: string[] = [];
const onUnhandled = (reason: unknown) =>
  void processFailures.push(`unhandledRejection: ${String(reason instanceof Error ? reason.stack : reason)}`);
const onUncaught = (error: unknown) =>
  void processFailures.push(`uncaughtException: ${String(error instanceof Error ? error.stack : error)}`);

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** mulberry32: a tiny seeded generator, so a failing run replays with FAULTY_STORAGE_SEED. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Fault = "throws" | "rejects" | "fails halfway" | "fails after committing";
const FAULTY = new Set(["summary", "load", "knownState", "append", "isDeleted"]);

/**
 * A Proxy around a storage adapter that, while `failing`, makes `rate` of the calls to the read
 * and append methods fail, each in one of the ways a broken disk or database fails.
 */
class FaultyStorage {
  failing = false;
  rate = 0.25;
  readonly injected = new Map<string, number>();
  readonly storage: StorageAdapter;
  readonly #random: () => number;

  constructor(
    readonly inner: StorageAdapter,
    seed: number,
  ) {
    this.#random = seeded(seed);
    this.storage = new Proxy(inner, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== "function") return value;
        const method = (value as (...args: unknown[]) => unknown).bind(target);
        if (typeof property !== "string" || !FAULTY.has(property)) return method;
        return (...args: unknown[]) => this.#call(property, method, args);
      },
    });
  }

  #call(name: string, method: (...args: unknown[]) => unknown, args: unknown[]): unknown {
    if (!this.failing || this.#random() >= this.rate) return method(...args);
    const faults: Fault[] = ["throws", "rejects"];
    if (name === "load") faults.push("fails halfway");
    if (name === "append") faults.push("fails after committing");
    const fault = faults[Math.floor(this.#random() * faults.length)] as Fault;
    this.injected.set(`${name} ${fault}`, (this.injected.get(`${name} ${fault}`) ?? 0) + 1);
    const error = new StorageError(`injected fault: ${name} ${fault}`);
    if (fault === "throws") throw error;
    if (name === "load") return failingLoad(method(...args) as AsyncIterable<StoredPiece>, fault === "fails halfway", error);
    if (fault === "fails after committing") return (method(...args) as Promise<unknown>).then(() => Promise.reject(error));
    return Promise.reject(error);
  }
}

/** A load that fails before its first piece, or after it. */
async function* failingLoad(pieces: AsyncIterable<StoredPiece>, halfway: boolean, error: Error): AsyncIterable<StoredPiece> {
  if (halfway) {
    for await (const piece of pieces) {
      yield piece;
      break;
    }
  }
  throw error;
}

/** The first entry from index `from` on (already received or arriving) that matches. */
function nextEntry(raw: RawClient, from: number, match: (entry: Entry) => boolean, what: string): Promise<Entry> {
  return raw.waitFor((entry) => raw.entries.indexOf(entry) >= from && match(entry), what, ANSWER_MS);
}

const sessionsOf = (entry: Entry) => (entry.sessions ?? {}) as Record<SessionId, number>;

interface Writer {
  readonly name: string;
  readonly node: LocalNode;
  readonly bridge: BridgedNode;
  readonly values: CoValueHandle[];
}

async function ready(server: SyncServer): Promise<{ readonly status: number; readonly body: { status?: string; error?: string } }> {
  const response = await fetch(`${server.url.replace("ws://", "http://")}/ready`);
  return { status: response.status, body: (await response.json()) as { status?: string; error?: string } };
}

/** Every transaction of `id` in `storage`, per session (canonical JSON texts). */
async function storedTransactions(storage: StorageAdapter, id: CoId): Promise<Map<SessionId, string[]>> {
  const sessions = new Map<SessionId, string[]>();
  for await (const piece of storage.load(id)) {
    for (const [sessionId, stored] of Object.entries(piece.sessions) as [SessionId, { after: number; transactions: readonly string[] }][]) {
      const held = sessions.get(sessionId) ?? [];
      expect(stored.after, `${id} ${sessionId}: stored pieces are contiguous`).toBe(held.length);
      held.push(...stored.transactions);
      sessions.set(sessionId, held);
    }
  }
  return sessions;
}

/** Whether `stored` holds at least what `known` names. */
function covers(stored: KnownState | undefined, known: Entry): boolean {
  if (known.header === true && stored === undefined) return false;
  for (const [sessionId, count] of Object.entries(sessionsOf(known)) as [SessionId, number][]) {
    if ((stored?.sessions[sessionId] ?? 0) < count) return false;
  }
  return true;
}

test("a storage failing at random: no crash, every request answered, explicit StorageFailure, /ready 503 then 200, nothing acknowledged that storage lacks", async () => {
  process.on("unhandledRejection", onUnhandled);
  process.on("uncaughtExceptionMonitor", onUncaught);
  cleanups.push(async () => {
    process.off("unhandledRejection", onUnhandled);
    process.off("uncaughtExceptionMonitor", onUncaught);
  });
  const faulty = new FaultyStorage(createMemoryStorage(), SEED);
  // Every refusal is sent (by default notices beyond 20 a second are only counted): the test
  // waits for an answer to each request.
  const server = await startSyncServer({
    port: 0,
    storage: faulty.storage,
    processMetrics: false,
    log: { level: "silent" },
    pingIntervalMs: 0,
    limits: { noticesPerSecond: 100_000 },
  });
  cleanups.push(() => server.close());
  expect((await ready(server)).status).toBe(200);

  const writers: Writer[] = [];
  for (const name of ["ann", "ben", "cid"]) {
    const node = await createTestNode();
    const bridge = await bridgeNode(node, server.url);
    cleanups.push(() => bridge.close());
    const values = [0, 1].map(() => node.createCoValue(plainHeader(crypto)));
    for (const value of values) value.writeTrusting([{ op: "set", key: "created by", value: name }]);
    writers.push({ name, node, bridge, values });
  }
  // Set up while storage works: every value starts acknowledged.
  await Promise.all(writers.map((writer) => writer.node.syncManager.waitForAllSynced()));
  const reader = await RawClient.connect(server.url);
  cleanups.push(() => reader.close());

  // ---- storage fails a quarter of the time: every write and load is still answered ----------
  faulty.failing = true;
  const random = seeded(SEED + 1);
  const readyWhileFailing: number[] = [];
  for (let round = 0; round < 25; round++) {
    const answers: Promise<Entry>[] = [];
    for (const writer of writers) {
      const value = writer.values[Math.floor(random() * writer.values.length)] as CoValueHandle;
      const from = writer.bridge.raw.entries.length;
      value.writeTrusting([{ op: "set", key: `round ${round}`, value: writer.name }]);
      writer.node.sealLocalWrites();
      const session = writer.node.sessionFor(value.id);
      const count = value.knownState().sessions[session] ?? 0;
      // Acknowledged (a `known` naming the write) or refused (a notice about this value).
      answers.push(
        nextEntry(
          writer.bridge.raw,
          from,
          (entry) =>
            (entry.action === "known" && entry.id === value.id && (sessionsOf(entry)[session] ?? 0) >= count) ||
            entry.error?.id === value.id,
          `${writer.name}'s write ${count} to ${value.id} answered in round ${round}`,
        ),
      );
    }
    const target = (writers[Math.floor(random() * writers.length)] as Writer).values[Math.floor(random() * 2)] as CoValueHandle;
    const from = reader.entries.length;
    reader.send({ action: "load", id: target.id, header: false, sessions: {} });
    answers.push(
      nextEntry(
        reader,
        from,
        (entry) => (entry.id === target.id && (entry.action === "done" || entry.action === "known")) || entry.error?.id === target.id,
        `the load of ${target.id} answered in round ${round}`,
      ),
    );
    await Promise.all(answers);
    readyWhileFailing.push((await ready(server)).status);
  }
  const notices = [...writers.map((writer) => writer.bridge.raw), reader].flatMap((raw) =>
    raw.entries.filter((entry) => entry.error !== undefined),
  );
  const storageFailures = notices.filter((entry) => entry.error?.code === "StorageFailure");
  expect(
    [...faulty.injected.values()].reduce((a, b) => a + b, 0),
    "faults injected",
  ).toBeGreaterThan(10);
  expect(storageFailures.length, `StorageFailure notices (faults: ${JSON.stringify([...faulty.injected])})`).toBeGreaterThan(0);
  for (const notice of storageFailures) {
    expect(notice.error?.message).toMatch(/injected fault|storage/);
    expect(notice.error?.id, "a StorageFailure names the value").toMatch(/^co_z/);
  }

  // ---- while nothing can be stored: not ready, saying why ----------------------------------
  faulty.rate = 1;
  const writer = writers[0] as Writer;
  const from = writer.bridge.raw.entries.length;
  const doomed = writer.values[0] as CoValueHandle;
  doomed.writeTrusting([{ op: "set", key: "while down", value: true }]);
  await nextEntry(writer.bridge.raw, from, (entry) => entry.error?.code === "StorageFailure", "a StorageFailure while storage is down");
  const down = await ready(server);
  expect(down.status).toBe(503);
  expect(down.body.error).toMatch(/storage failed while syncing: injected fault/);

  // ---- storage works again: one commit makes the server ready, and every client catches up ----
  faulty.failing = false;
  const fresh = writer.node.createCoValue(plainHeader(crypto));
  fresh.writeTrusting([{ op: "set", key: "after recovery", value: true }]);
  writer.values.push(fresh);
  await within(fresh.waitForSync(), ANSWER_MS, "a write acknowledged once storage works");
  expect(await ready(server)).toMatchObject({ status: 200, body: { status: "ready" } });
  // A client's next write to a value the server lost part of is refused as a Gap and corrected:
  // it resends, and everything it holds ends up acknowledged.
  for (const each of writers) for (const value of each.values) value.writeTrusting([{ op: "set", key: "final", value: each.name }]);
  await Promise.all(
    writers.map((each) => within(each.node.syncManager.waitForAllSynced(), ANSWER_MS * 2, `${each.name} fully synced after recovery`)),
  );
  await server.node.syncManager.settled();

  // ---- nothing was acknowledged that storage lacks; what clients wrote is stored as written ----
  for (const raw of [...writers.map((each) => each.bridge.raw), reader]) {
    for (const entry of raw.entries) {
      if (entry.action !== "known") continue;
      const stored = await faulty.inner.knownState(entry.id as CoId);
      expect(covers(stored, entry), `a known ${JSON.stringify(entry)} the storage does not cover: ${JSON.stringify(stored)}`).toBe(true);
    }
  }
  for (const each of writers) {
    for (const value of each.values) {
      const session = each.node.sessionFor(value.id);
      const mine = [...(each.node.peekEntry(value.id)?.log?.sessions.get(session)?.serialized ?? [])];
      expect((await storedTransactions(faulty.inner, value.id)).get(session), `${each.name}'s ${value.id} in storage`).toEqual(mine);
    }
  }
  // A fresh client loads all of it through the server.
  const late = await createTestNode();
  const lateBridge = await bridgeNode(late, server.url);
  cleanups.push(() => lateBridge.close());
  for (const each of writers) {
    for (const value of each.values) {
      const loaded = await late.load(value.id);
      if (loaded.status !== "loaded") expect.fail(`${value.id} did not load`);
      // A load may arrive in several pieces: wait (on changes) until all of it is there.
      await untilHolds(loaded.value, value.knownState()).catch(() => expect(loaded.value.knownState()).toEqual(value.knownState()));
    }
  }
  expect(processFailures).toEqual([]);
  // /ready answered every time (200 or 503, never a failing handler) while storage failed.
  expect(readyWhileFailing.filter((status) => status !== 200 && status !== 503)).toEqual([]);
});

// Regression (found by this suite): the tombstone used to be written after the ack and its failure
// only logged, so a reload served the deleted content again. Now the ack waits for the tombstone,
// and a stored valid delete session finishes its deletion whenever the value is loaded.
test("a deletion whose tombstone storage fails to record is not acknowledged, and is finished on the next load", async () => {
  const inner = createMemoryStorage();
  let tombstonesFail = true;
  const storage = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === "markDeleted") {
        return (id: CoId) =>
          tombstonesFail ? Promise.reject(new StorageError("injected fault: markDeleted rejects")) : target.markDeleted(id);
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  }) as StorageAdapter;
  const options = { port: 0, storage, processMetrics: false, log: { level: "silent" } } as const;
  const first = await startSyncServer(options);
  cleanups.push(() => first.close());
  const admin = await namedAccountNode("Admin");
  const bridge = await bridgeNode(admin, first.url);
  cleanups.push(() => bridge.close());
  const map = admin.createGroup().createMap();
  map.set("secret", "shred me", "trusting");
  await within(admin.syncManager.waitForAllSynced(), ANSWER_MS, "the map synced");
  admin.deleteCoValue(map.id);
  const acknowledged = await Promise.race([
    within(admin.syncManager.waitForAllSynced(), ANSWER_MS, "the deletion answered").then(() => true),
    bridge.raw.notice("StorageFailure", ANSWER_MS).then(() => false),
  ]);
  await bridge.close();
  await first.close();
  tombstonesFail = false;

  // The same storage, a new server process: an acknowledged deletion must hold.
  const second = await startSyncServer(options);
  cleanups.push(() => second.close());
  const reader = await RawClient.connect(second.url);
  cleanups.push(() => reader.close());
  reader.send({ action: "load", id: map.id, header: false, sessions: {} });
  await reader.waitFor(
    (entry) => entry.id === map.id && (entry.action === "done" || entry.action === "known"),
    "the load answered",
    ANSWER_MS,
  );
  // The failed tombstone was not acknowledged as done (the admin heard of it)…
  expect(acknowledged, "a deletion whose tombstone failed is not acknowledged").toBe(false);
  // …and the stored, valid delete session finishes the deletion when the value is next loaded.
  expect(JSON.stringify(reader.entries), "served after the deletion").not.toContain("shred me");
  await vi.waitFor(async () => expect(await inner.isDeleted(map.id), "the tombstone, recorded on reload").toBe(true));
});

/** Resolves once `handle` holds `expected` (re-checked on every change); rejects after ANSWER_MS. */
function untilHolds(handle: CoValueHandle, expected: KnownState): Promise<void> {
  let stop = () => {};
  const holds = new Promise<void>((resolve) => {
    const check = () => {
      if (JSON.stringify(handle.knownState()) === JSON.stringify(expected)) resolve();
    };
    stop = handle.subscribe(check);
    check();
  });
  return within(holds, ANSWER_MS, `${handle.id} loaded whole`).finally(() => stop());
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
