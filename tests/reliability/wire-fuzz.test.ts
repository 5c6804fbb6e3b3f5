// Wire fuzz against a running server (SQLite-backed, real WebSockets): thousands of malformed and
// adversarial entries — not JSON, not objects, unknown actions, broken fields, invalid ids, huge
// numbers, deep nesting, binary and oversize messages, garbage between valid loads — batched many to
// a frame over a few connections; invalid UTF-8 and oversize frames on connections of their own;
// valid content replayed and reordered. Meanwhile an honest client keeps writing and its
// acknowledgement latency is recorded. The server must answer every refused entry with exactly one
// error notice, every valid load with `known`, never crash, and store nothing but honest content.
//
// FUZZ_CASES (default 10,000) sets the number of refused entries, FUZZ_SEED replays a run.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CoId, idForHeader } from "@cosync/core";
import { startSyncServer } from "@cosync/server";
import Database from "better-sqlite3";
import fc from "fast-check";
import { afterAll, beforeAll, expect, test } from "vitest";
import { RawClient } from "../../packages/server/src/test-fixtures/raw-client.js";
import { createTestNode, plainHeader, testCrypto } from "../helpers/nodes.js";
import { describeLatencies, type HonestClient, openHonestClient, percentile } from "./honest-client.js";
import { type RefusedEntry, refusedEntry } from "./wire-fuzz-cases.js";

const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const CONNECTIONS = 4;
const ENTRIES_PER_FRAME = 100;
const MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_FRAME_BYTES = 1024 * 1024;
const WAIT_MS = 30_000;

const crypto = await testCrypto();
const freshId = (): CoId => idForHeader(plainHeader(crypto), (bytes) => crypto.provider.blake3(bytes));

let dir: string;
let server: Awaited<ReturnType<typeof startSyncServer>>;
let honest: HonestClient;
/** Ids a replay case legitimately stored. */
const replayedIds = new Set<CoId>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cosync-fuzz-"));
  server = await startSyncServer({
    port: 0,
    db: join(dir, "fuzz.db"),
    processMetrics: false,
    log: { level: "silent" },
    // One notice per refusal is what is checked: lift the notice budget a flood normally meets.
    limits: { noticesPerSecond: 1e9, maxMessageBytes: MAX_MESSAGE_BYTES, maxFrameBytes: MAX_FRAME_BYTES },
  });
  honest = await openHonestClient(server.url);
  honest.startWriting({ pauseMs: 2 });
});

afterAll(async () => {
  await honest?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Tally {
  readonly refused: Map<string, number>;
  loads: number;
}

/** Sends `entries` in frames of ENTRIES_PER_FRAME with a valid load between garbage; checks every answer. */
async function fuzzConnection(entries: readonly RefusedEntry[], tally: Tally): Promise<void> {
  await using client = await RawClient.connect(server.url);
  let expectedNotices = 0;
  for (let start = 0; start < entries.length; start += ENTRIES_PER_FRAME) {
    const batch = entries.slice(start, start + ENTRIES_PER_FRAME);
    const loads: CoId[] = [];
    const lines: string[] = [];
    for (const [i, entry] of batch.entries()) {
      lines.push(entry.line);
      tally.refused.set(entry.kind, (tally.refused.get(entry.kind) ?? 0) + 1);
      if (i % 10 === 0) {
        const id = freshId();
        loads.push(id);
        lines.push(JSON.stringify({ action: "load", id, header: false, sessions: {} }));
      }
    }
    // A binary frame and an oversize message between text frames: each refused with a notice too.
    client.ws.send(Buffer.from(lines.slice(0, 3).join("\n")), { binary: true });
    client.ws.send(lines.join("\n"));
    const oversize = JSON.stringify({ action: "load", id: freshId(), header: false, sessions: {}, pad: "x".repeat(MAX_MESSAGE_BYTES) });
    client.sendText(oversize);
    expectedNotices += batch.filter((entry) => entry.notices !== 0).length + 2;
    tally.refused.set("binary frame", (tally.refused.get("binary frame") ?? 0) + 1);
    tally.refused.set("oversize message", (tally.refused.get("oversize message") ?? 0) + 1);
    tally.loads += loads.length;
    // Every valid load between the garbage is answered (nobody has these values: header false).
    for (const id of loads) {
      const known = await client.waitFor((entry) => entry.action === "known" && entry.id === id, `known for load ${id}`, WAIT_MS);
      expect(known).toMatchObject({ header: false, sessions: {} });
    }
    await waitForNotices(client, expectedNotices).catch(async (error: Error) => {
      throw new Error(`${error.message}; entries answered by no notice on their own: ${JSON.stringify(await unanswered(batch))}`);
    });
  }
  // A last load answered after everything else: no late or duplicate notice may have arrived.
  const sentinel = freshId();
  client.send({ action: "load", id: sentinel, header: false, sessions: {} });
  await client.waitFor((entry) => entry.action === "known" && entry.id === sentinel, "the sentinel's known", WAIT_MS);
  expect(notices(client).length, "exactly one notice per refused entry").toBe(expectedNotices);
  expect(client.ws.readyState, "the connection survives refused entries").toBe(client.ws.OPEN);
}

/** The entries of `batch` that, sent alone on a fresh connection, get no notice before a sentinel load's answer. */
async function unanswered(batch: readonly RefusedEntry[]): Promise<RefusedEntry[]> {
  const silent: RefusedEntry[] = [];
  for (const entry of batch) {
    await using probe = await RawClient.connect(server.url);
    const sentinel = freshId();
    probe.sendText(entry.line);
    probe.send({ action: "load", id: sentinel, header: false, sessions: {} });
    await probe.waitFor((e) => e.action === "known" && e.id === sentinel, "the probe's sentinel", WAIT_MS);
    if (notices(probe).length !== (entry.notices ?? 1)) silent.push({ ...entry, kind: `${entry.kind} (${notices(probe).length} notices)` });
  }
  return silent;
}

const notices = (client: RawClient) => client.entries.filter((entry) => entry.error !== undefined);

async function waitForNotices(client: RawClient, count: number): Promise<void> {
  if (notices(client).length >= count) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`expected ${count} notices within ${WAIT_MS} ms, got ${notices(client).length}`));
    }, WAIT_MS);
    const stop = client.onEntry(() => {
      if (notices(client).length < count) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

test("wire fuzz: every malformed entry is refused with one notice, valid loads between them are answered", async () => {
  // Ignored objects are in the mix but not counted: sample until CASES entries must be refused.
  const entries: RefusedEntry[] = [];
  for (let round = 0; entries.filter((entry) => entry.notices !== 0).length < CASES; round++) {
    entries.push(...fc.sample(refusedEntry(fc.constant(freshId())), { numRuns: Math.ceil(CASES / 8), seed: SEED + round }));
  }
  const tally: Tally = { refused: new Map(), loads: 0 };
  const started = performance.now();
  const share = Math.ceil(entries.length / CONNECTIONS);
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => fuzzConnection(entries.slice(i * share, (i + 1) * share), tally)));
  const seconds = (performance.now() - started) / 1000;
  const total = [...tally.refused].reduce((sum, [kind, n]) => sum + (kind === "ignored object" ? 0 : n), 0);
  console.info(
    `reliability: wire fuzz (seed ${SEED}) refused ${total} entries (and ignored the ignored objects) in ${seconds.toFixed(1)} s — ${[...tally.refused].map(([k, n]) => `${k} ${n}`).join(", ")}; ${tally.loads} valid loads between them answered`,
  );
  expect(total).toBeGreaterThanOrEqual(CASES);
});

test("wire fuzz: invalid UTF-8 and oversize frames close only their own connection (1007, 1009)", async () => {
  const invalidUtf8 = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from([...bytes, 0xc3, 0x28, 0xff])), { numRuns: 20, seed: SEED });
  const closes = await Promise.all(
    [...invalidUtf8.map((bytes) => ({ bytes, code: 1007 })), ...Array.from({ length: 5 }, () => ({ bytes: Buffer.alloc(MAX_FRAME_BYTES + 1, 0x20), code: 1009 }))].map(
      async ({ bytes, code }) => {
        const client = await RawClient.connect(server.url);
        client.ws.send(bytes, { binary: false });
        const closed = await client.closed;
        return { expected: code, got: closed.code };
      },
    ),
  );
  for (const { expected, got } of closes) expect(got).toBe(expected);
  console.info(`reliability: wire fuzz closed ${closes.length} connections for invalid UTF-8 (20) and oversize frames (5)`);
});

test("wire fuzz: replayed and reordered content is stored once, gaps corrected", async () => {
  const REPLAYS = 100;
  await using client = await RawClient.connect(server.url);
  for (let i = 0; i < REPLAYS; i++) {
    const author = await createTestNode();
    const value = author.createCoValue(plainHeader(crypto));
    value.writeTrusting([{ op: "set", key: "a", value: i }]);
    value.writeTrusting([{ op: "set", key: "b", value: i }]);
    author.sealLocalWrites();
    const log = author.peekEntry(value.id)?.log ?? expect.fail("the author holds its value");
    const [first] = log.contentSince(undefined);
    const known = value.knownState();
    value.writeTrusting([{ op: "set", key: "c", value: i }]);
    author.sealLocalWrites();
    const [second] = log.contentSince(known);
    // The later piece first (a gap, no header), then the first twice, the later one twice, in one frame.
    client.send(second, first, first, second, second, first);
    const full = await client.waitFor(
      (entry) => entry.action === "known" && entry.id === value.id && Object.values(entry.sessions as object).includes(3),
      `the full state of replay ${i}`,
      WAIT_MS,
    );
    expect(full.sessions).toEqual(value.knownState().sessions);
    expect(await server.node.storage?.knownState(value.id)).toEqual(value.knownState());
    replayedIds.add(value.id);
    await author.close();
  }
  const gaps = client.entries.filter((entry) => entry.error?.code === "Gap" || (entry.action === "known" && entry.isCorrection === true));
  expect(gaps.length, "each reordered piece is corrected").toBeGreaterThanOrEqual(REPLAYS);
  console.info(`reliability: wire fuzz replayed/reordered ${REPLAYS} values (6 pieces each): each stored exactly once`);
});

test("wire fuzz: the honest client kept syncing, and storage holds only honest and replayed values", async () => {
  await honest.stopWriting();
  expect(honest.acknowledged()).toBeGreaterThan(0);
  console.info(`reliability: honest client during the fuzz: ${describeLatencies(honest.latencies)}`);
  expect(percentile(honest.latencies, 100)).toBeLessThan(20_000);
  const honestIds = new Set([...honest.node.allEntries()].filter((entry) => entry.log !== undefined).map((entry) => entry.id));
  const db = new Database(join(dir, "fuzz.db"), { readonly: true, fileMustExist: true });
  try {
    const stored = (db.prepare("SELECT id FROM covalues").all() as { id: CoId }[]).map((row) => row.id);
    const unexpected = stored.filter((id) => !honestIds.has(id) && !replayedIds.has(id));
    expect(unexpected, "nothing but honest and replayed values stored").toEqual([]);
  } finally {
    db.close();
  }
  const health = await fetch(`${server.url.replace("ws://", "http://")}/health`);
  expect(health.status).toBe(200);
});
