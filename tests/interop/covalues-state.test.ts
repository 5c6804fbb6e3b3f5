// Same state as real cojson 0.20.19: values edited concurrently by several real cojson nodes
// (one account and session each, synced in process), then cojson's valid transactions, shuffled,
// fed to cosync's materialisers, which must produce exactly cojson's content.
import {
  type BinaryStreamItem,
  binaryStreamItems,
  type CoListEntry,
  type DecodedTransaction,
  type JsonObject,
  type JsonValue,
  materializeBinaryStream,
  materializeCoList,
  materializeCoMap,
  materializeCoPlainText,
  materializeCoStream,
  type SessionId,
  type SessionOwner,
  splitGraphemes,
  textDeleteRangeChanges,
  textInsertAfterChanges,
  textInsertBeforeChanges,
  type TxId,
} from "@cosync/core";
import {
  type CoValueCore,
  cojsonInternals,
  LocalNode,
  LogLevel,
  logger,
  type RawBinaryCoStream,
  type RawCoList,
  type RawCoMap,
  type RawCoPlainText,
  type RawCoStream,
  type RawCoValue,
  type RawGroup,
} from "cojson";
import { WasmCrypto } from "cojson/crypto/WasmCrypto";
import { beforeAll, expect, test, vi } from "vitest";

type CojsonCrypto = Awaited<ReturnType<typeof WasmCrypto.create>>;
let crypto: CojsonCrypto;

beforeAll(async () => {
  logger.setLevel(LogLevel.ERROR);
  crypto = await WasmCrypto.create();
});

/** Small seeded PRNG so every scenario is replayable. */
function random(seed: number): { int(below: number): number; pick<T>(items: readonly T[]): T } {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (below) => Math.floor(next() * below),
    pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number],
  };
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rng = random(seed);
  const out = [...items];
  for (let index = out.length - 1; index > 0; index--) {
    const other = rng.int(index + 1);
    [out[index], out[other]] = [out[other] as T, out[index] as T];
  }
  return out;
}

/** cojson's valid transactions of a value, as cosync's DecodedTransaction. */
function decodedTransactions(core: CoValueCore): DecodedTransaction[] {
  return core.getValidSortedTransactions().map((tx) => ({
    txId: { sessionID: tx.txID.sessionID as SessionId, txIndex: tx.txID.txIndex },
    author: tx.author as SessionOwner,
    madeAt: tx.madeAt,
    changes: tx.changes as JsonValue[],
    ...(tx.meta === undefined ? {} : { meta: tx.meta as JsonObject }),
    privacy: tx.tx.privacy,
  }));
}

/** Every permutation we test: cojson's order, reversed, a few shuffles, and all twice (duplicates). */
function deliveries(txs: readonly DecodedTransaction[]): DecodedTransaction[][] {
  return [txs.slice(), txs.slice().reverse(), shuffled(txs, 1), shuffled(txs, 2), [...shuffled(txs, 3), ...shuffled(txs, 4)]];
}

interface Cluster {
  readonly nodes: readonly LocalNode[];
  readonly group: RawGroup;
  /** Sets what `madeAt` node `index`'s next transaction gets. */
  setClock(clock: (nodeIndex: number) => number): void;
  /** Runs `edit` with every link held, so the edits inside are concurrent; then delivers. */
  partitioned(edit: () => void): void;
  /** The value as loaded on every node, node 0 first. */
  replicas<T extends RawCoValue>(value: T): Promise<T[]>;
  /** Waits until every node holds the same transactions of `values`. */
  settle(values: readonly RawCoValue[]): Promise<void>;
}

/** Node 0 is the hub (a "server" peer of the others); every account is a writer of node 0's group. */
async function createCluster(size: number): Promise<Cluster> {
  const accounts = [];
  for (let index = 0; index < size; index++) {
    accounts.push(await LocalNode.withNewlyCreatedAccount({ creationProps: { name: `node${index}` }, crypto }));
  }
  const nodes = accounts.map((account) => account.node);
  const hub = nodes[0] as LocalNode;
  let held: Array<() => void> | undefined;
  const hold = (channel: { push(message: unknown): void }) => {
    const deliver = channel.push.bind(channel);
    channel.push = (message) => (held === undefined ? deliver(message) : held.push(() => deliver(message)));
  };
  for (let index = 1; index < size; index++) {
    const [hubAsSeenByClient, clientAsSeenByHub] = cojsonInternals.connectedPeers("hub", `client${index}`, {
      peer1role: "server",
      peer2role: "client",
    });
    hold(hubAsSeenByClient.outgoing as unknown as { push(message: unknown): void });
    hold(clientAsSeenByHub.outgoing as unknown as { push(message: unknown): void });
    nodes[index]?.syncManager.addPeer(hubAsSeenByClient);
    hub.syncManager.addPeer(clientAsSeenByHub);
  }
  const group = hub.createGroup();
  for (const account of accounts.slice(1)) {
    const member = await hub.load(account.accountID);
    if (member === "unavailable") throw new Error("member account unavailable");
    group.addMember(member, "writer");
  }
  return {
    nodes,
    group,
    setClock(clock) {
      nodes.forEach((node, index) => {
        (node as unknown as { stampNow: () => number }).stampNow = () => clock(index);
      });
    },
    partitioned(edit) {
      held = [];
      try {
        edit();
      } finally {
        const pending = held;
        held = undefined;
        for (const deliver of pending) deliver();
      }
    },
    async replicas(value) {
      const out: Array<typeof value> = [value];
      for (const node of nodes.slice(1)) {
        const loaded = await node.load(value.id);
        if (loaded === "unavailable") throw new Error(`${value.id} unavailable`);
        out.push(loaded as typeof value);
      }
      return out;
    },
    async settle(values) {
      const knownStates = (value: RawCoValue) =>
        nodes.map((node) => {
          const core = node.getCoValue(value.id);
          return JSON.stringify(Object.entries(core.knownState().sessions).sort());
        });
      await vi.waitFor(
        () => {
          for (const value of values) expect(new Set(knownStates(value)).size).toBe(1);
        },
        { timeout: 20_000, interval: 5 },
      );
    },
  };
}

/** A clock giving every transaction of every node its own, increasing `madeAt`. */
function distinctClock(): (nodeIndex: number) => number {
  let now = Date.now() + 60_000;
  return () => ++now;
}

const content = <T extends RawCoValue>(value: T): T => value.core.getCurrentContent() as T;

test("co-map: concurrent sets and deletes from three sessions give cojson's state, history and atTime", async () => {
  const cluster = await createCluster(3);
  cluster.setClock(distinctClock());
  const map = cluster.group.createMap();
  const maps = await cluster.replicas(map);
  const rng = random(7);
  const keys = ["a", "b", "c", "d", "e"];
  const values: JsonValue[] = [1, "two", null, { nested: [1, { x: "y" }] }, map.id, true, -0.5];
  const madeAts: number[] = [];
  for (let round = 0; round < 5; round++) {
    cluster.partitioned(() => {
      maps.forEach((replica, node) => {
        for (let edit = 0; edit < 3; edit++) {
          const privacy = (node + edit) % 2 === 0 ? "private" : "trusting";
          if (rng.int(4) === 0) replica.delete(rng.pick(keys), privacy);
          else if (rng.int(5) === 0) replica.assign({ [rng.pick(keys)]: rng.pick(values), [rng.pick(keys)]: rng.pick(values) }, privacy);
          else replica.set(rng.pick(keys), rng.pick(values), privacy);
        }
      });
    });
    await cluster.settle([map]);
    madeAts.push(content(map).core.latestTxMadeAt);
  }
  for (const replica of maps.map(content)) {
    const txs = decodedTransactions(replica.core);
    for (const delivery of deliveries(txs)) {
      const ours = materializeCoMap(delivery);
      expect(ours.toJSON()).toEqual(replica.toJSON());
      expect(ours.keys().sort()).toEqual(replica.keys().sort());
      for (const key of keys) {
        const theirs = replica.lastEditAt(key);
        const last = ours.lastEdit(key);
        expect(last === undefined).toBe(theirs === undefined);
        if (theirs !== undefined && last !== undefined) {
          expect({ by: last.author, tx: last.txId, at: last.madeAt, value: last.value }).toEqual({
            by: theirs.by,
            tx: theirs.tx,
            at: theirs.at.getTime(),
            value: theirs.value,
          });
          expect(ours.history(key).map((edit) => edit.txId)).toEqual([...replica.editsAt(key)].map((edit) => edit.tx));
        }
      }
      for (const time of madeAts) expect(ours.atTime(time).toJSON()).toEqual(replica.atTime(time).toJSON());
    }
  }
});

test("co-map: with equal madeAt across sessions cojson replicas disagree; cosync picks the larger session id", async () => {
  const cluster = await createCluster(2);
  const tie = Date.now() + 60_000;
  cluster.setClock(() => tie);
  const map = cluster.group.createMap();
  const [onHub, onClient] = (await cluster.replicas(map)) as [RawCoMap, RawCoMap];
  cluster.partitioned(() => {
    onHub.set("k", "from hub");
    onClient.set("k", "from client");
  });
  await cluster.settle([map]);
  // Each cojson replica keeps the write that reached it last: they diverge for good.
  expect(content(onHub).get("k")).toBe("from client");
  expect(content(onClient).get("k")).toBe("from hub");
  const hubSession = cluster.nodes[0]?.currentSessionID as string;
  const clientSession = cluster.nodes[1]?.currentSessionID as string;
  const expected = hubSession > clientSession ? "from hub" : "from client";
  for (const replica of [onHub, onClient]) {
    for (const delivery of deliveries(decodedTransactions(content(replica).core))) {
      expect(materializeCoMap(delivery).get("k")).toBe(expected);
    }
  }
});

function expectSameList(ours: readonly CoListEntry[], theirs: ReturnType<RawCoList["entries"]>): void {
  expect(ours.map((entry) => ({ value: entry.value, opID: entry.opId, madeAt: entry.madeAt }))).toEqual(
    theirs.map((entry) => ({ value: entry.value, opID: entry.opID, madeAt: entry.madeAt })),
  );
}

test("co-list: concurrent inserts at one position, prepends, deletes and replaces give cojson's order", async () => {
  const cluster = await createCluster(3);
  cluster.setClock(distinctClock());
  const list = cluster.group.createList();
  list.appendItems(["a", "b", "c"], undefined, "trusting");
  const lists = await cluster.replicas(list);
  const rng = random(11);
  const madeAts: number[] = [];
  let counter = 0;
  for (let round = 0; round < 8; round++) {
    const samePosition = round % 2 === 0;
    const shared = rng.int(content(list).entries().length + 1);
    cluster.partitioned(() => {
      lists.forEach((replica, node) => {
        for (let edit = 0; edit < 3; edit++) {
          const length = replica.entries().length;
          const value = `n${node}-${counter++}`;
          const privacy = edit % 2 === 0 ? "private" : "trusting";
          const position = samePosition ? Math.min(shared, length) : rng.int(length + 1);
          const kind = samePosition ? rng.pick(["append", "prepend"]) : rng.pick(["append", "prepend", "delete", "replace", "appendItems"]);
          if (length === 0 || kind === "prepend") replica.prepend(value, Math.min(position, length), privacy);
          else if (kind === "append") replica.append(value, Math.min(position, length - 1), privacy);
          else if (kind === "appendItems") replica.appendItems([value, `${value}b`, `${value}c`], Math.min(position, length - 1), privacy);
          else if (kind === "delete") replica.delete(Math.min(position, length - 1), privacy);
          else replica.replace(Math.min(position, length - 1), value, privacy);
        }
      });
    });
    await cluster.settle([list]);
    madeAts.push(content(list).core.latestTxMadeAt);
  }
  const reference = content(list).asArray();
  expect(reference.length).toBeGreaterThan(20);
  for (const replica of lists.map(content)) {
    expect(replica.asArray()).toEqual(reference);
    for (const delivery of deliveries(decodedTransactions(replica.core))) {
      const ours = materializeCoList(delivery);
      expectSameList(ours.entries(), replica.entries());
      for (const time of madeAts.slice(0, 4)) expect(ours.atTime(time).asArray()).toEqual(replica.atTime(time).asArray());
    }
  }
});

test("co-list: an insert anchored on an item with a later madeAt is dropped, by cojson and by cosync", async () => {
  const cluster = await createCluster(2);
  const base = Date.now() + 60_000;
  // The hub's clock runs 10 s ahead of the client's.
  cluster.setClock((node) => (node === 0 ? base + 10_000 : base));
  const list = cluster.group.createList();
  const [onHub, onClient] = (await cluster.replicas(list)) as [RawCoList, RawCoList];
  onHub.append("from the future");
  await cluster.settle([list]);
  content(onClient).append("after it, made earlier", 0);
  content(onClient).append("at the end", 0);
  await cluster.settle([list]);
  expect(content(onHub).asArray()).toEqual(["from the future"]);
  expect(content(onClient).asArray()).toEqual(["from the future"]);
  for (const delivery of deliveries(decodedTransactions(content(onClient).core))) {
    expectSameList(materializeCoList(delivery).entries(), content(onClient).entries());
  }
});

test("co-stream: per-session feeds, latest items and equal madeAt inside a session match cojson", async () => {
  const cluster = await createCluster(3);
  const distinct = distinctClock();
  cluster.setClock(distinct);
  const stream = cluster.group.createStream();
  const streams = await cluster.replicas(stream);
  for (let round = 0; round < 4; round++) {
    const frozen = distinct(0);
    if (round === 2) cluster.setClock(() => frozen);
    if (round === 3) cluster.setClock(distinct);
    cluster.partitioned(() => {
      streams.forEach((replica, node) => {
        for (let item = 0; item < 3; item++) replica.push({ node, round, item, text: `${node}:${round}:${item}` }, item % 2 ? "trusting" : "private");
      });
    });
    await cluster.settle([stream]);
  }
  for (const replica of streams.map(content) as RawCoStream[]) {
    for (const delivery of deliveries(decodedTransactions(replica.core))) {
      const ours = materializeCoStream(delivery);
      expect(ours.toJSON()).toEqual(replica.toJSON());
      expect(ours.sessions()).toEqual([...replica.sessions()].sort());
      for (const sessionID of ours.sessions()) {
        const last = ours.lastItemIn(sessionID);
        const theirs = replica.lastItemIn(sessionID as Parameters<RawCoStream["lastItemIn"]>[0]);
        expect({ by: last?.author, tx: last?.txId, at: last?.madeAt, value: last?.value }).toEqual({
          by: theirs?.by,
          tx: theirs?.tx,
          at: theirs?.at.getTime(),
          value: theirs?.value,
        });
      }
      for (const author of ours.authors()) {
        const account = author as Parameters<RawCoStream["lastItemBy"]>[0];
        expect(ours.lastItemBy(author)?.value).toEqual(replica.lastItemBy(account)?.value);
        expect(ours.itemsBy(author).map((item) => item.value)).toEqual([...replica.itemsBy(account)].map((item) => item.value));
      }
    }
  }
});

function randomBytes(length: number, seed: number): Uint8Array {
  const rng = random(seed);
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) bytes[index] = rng.int(256);
  return bytes;
}

/** -1 if equal, else the first index where they differ (vitest's toEqual is slow on megabytes). */
function firstDifference(actual: Uint8Array | undefined, expected: Uint8Array): number {
  if (actual === undefined) return 0;
  const length = Math.min(actual.length, expected.length);
  for (let index = 0; index < length; index++) if (actual[index] !== expected[index]) return index;
  return actual.length === expected.length ? -1 : length;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

test("binary stream: a cojson upload in 100 KiB chunks reassembles byte-exactly, unfinished and finished", async () => {
  const cluster = await createCluster(2);
  cluster.setClock(distinctClock());
  const file = randomBytes(1_500_000 + 17, 5);
  const stream = cluster.group.createBinaryStream();
  stream.startBinaryStream({ mimeType: "application/pdf", fileName: "report.pdf", totalSizeBytes: file.length });
  const chunkSize = cojsonInternals.TRANSACTION_CONFIG.MAX_RECOMMENDED_TX_SIZE;
  for (let offset = 0; offset < 700_000; offset += chunkSize) stream.pushBinaryStreamChunk(file.subarray(offset, offset + chunkSize));
  const [, onClient] = (await cluster.replicas(stream)) as [RawBinaryCoStream, RawBinaryCoStream];
  await cluster.settle([stream]);
  const partial = materializeBinaryStream(shuffled(decodedTransactions(content(onClient).core), 9));
  expect(partial.isComplete).toBe(false);
  expect(partial.toBytes()).toBeUndefined();
  expect(firstDifference(partial.toBytes({ allowUnfinished: true }), concat(content(onClient).getBinaryChunks(true)?.chunks ?? []))).toBe(-1);
  expect(partial.progress()).toBeCloseTo(Math.min(700_000 + chunkSize - (700_000 % chunkSize), file.length) / file.length, 5);
  for (let offset = 700_000 + chunkSize - (700_000 % chunkSize); offset < file.length; offset += chunkSize) {
    stream.pushBinaryStreamChunk(file.subarray(offset, offset + chunkSize));
  }
  stream.endBinaryStream();
  await cluster.settle([stream]);
  const theirs = content(onClient).getBinaryChunks();
  expect(firstDifference(concat(theirs?.chunks ?? []), file)).toBe(-1);
  for (const delivery of deliveries(decodedTransactions(content(onClient).core))) {
    const ours = materializeBinaryStream(delivery);
    expect(ours.isComplete).toBe(true);
    expect(ours.progress()).toBe(1);
    expect(ours.info()).toEqual(content(onClient).getBinaryStreamInfo());
    expect(firstDifference(ours.toBytes(), file)).toBe(-1);
    expect(ours.chunks().map((chunk) => chunk.length)).toEqual(theirs?.chunks.map((chunk) => chunk.length));
  }
});

test("binary stream: cosync's items, written by cojson, read back identically in cojson and cosync", async () => {
  const cluster = await createCluster(2);
  const file = randomBytes(333_333, 6);
  const stream = cluster.group.createBinaryStream();
  const items = binaryStreamItems(file, { mimeType: "image/png", fileName: "cat.png" });
  expect(items).toHaveLength(1 + Math.ceil(file.length / cojsonInternals.TRANSACTION_CONFIG.MAX_RECOMMENDED_TX_SIZE) + 1);
  for (const item of items) stream.push(item as unknown as Parameters<RawBinaryCoStream["push"]>[0]);
  const [, onClient] = (await cluster.replicas(stream)) as [RawBinaryCoStream, RawBinaryCoStream];
  await cluster.settle([stream]);
  const theirs = content(onClient).getBinaryChunks();
  expect(theirs).toMatchObject({ mimeType: "image/png", fileName: "cat.png", totalSizeBytes: file.length, finished: true });
  expect(firstDifference(concat(theirs?.chunks ?? []), file)).toBe(-1);
  expect(firstDifference(materializeBinaryStream(decodedTransactions(content(onClient).core)).toBytes(), file)).toBe(-1);
});

const tricky = ["👨‍👩‍👧‍👦", "🇫🇷", "e\u0301", "🏳️‍🌈", "👍🏽", "a\u0308\u0323", "क्षि", "\r\n", "한", "#️⃣", "🧑🏿‍🚀"];

test("co-plain-text: concurrent edits with emoji, combining marks, ZWJ sequences and flags give cojson's text", async () => {
  const cluster = await createCluster(3);
  cluster.setClock(distinctClock());
  const text = cluster.group.createPlainText();
  text.insertAfter(0, "héllo 👋🏽 wörld 🇯🇵!");
  const texts = await cluster.replicas(text);
  const rng = random(3);
  for (let round = 0; round < 8; round++) {
    const samePosition = round % 3 === 0;
    const shared = rng.int(content(text).entries().length + 1);
    cluster.partitioned(() => {
      texts.forEach((replica) => {
        const length = replica.entries().length;
        const position = samePosition ? Math.min(shared, length) : rng.int(length + 1);
        const insert = `${rng.pick(tricky)}${rng.pick(tricky)}x`;
        const kind = samePosition ? rng.pick(["before", "after"]) : rng.pick(["before", "after", "delete"]);
        if (kind === "before") replica.insertBefore(position, insert);
        else if (kind === "after" || length === 0) replica.insertAfter(Math.min(position, Math.max(0, length - 1)), insert, "trusting");
        else replica.deleteRange({ from: Math.min(position, length - 1), to: Math.min(length, position + 1 + rng.int(4)) });
      });
    });
    await cluster.settle([text]);
  }
  const reference = content(text).toString();
  for (const replica of texts.map(content) as RawCoPlainText[]) {
    expect(replica.toString()).toBe(reference);
    for (const delivery of deliveries(decodedTransactions(replica.core))) {
      const ours = materializeCoPlainText(delivery);
      expect(ours.toString()).toBe(reference);
      expectSameList(ours.entries(), replica.entries());
    }
  }
});

test("co-plain-text: cosync's text builders, written by cojson, edit the text as intended", async () => {
  const cluster = await createCluster(2);
  cluster.setClock(distinctClock());
  const text = cluster.group.createPlainText();
  let expected: string[] = [];
  const write = (transactions: BinaryStreamItem[][] | JsonValue[][]) => {
    for (const changes of transactions) text.core.makeTransaction(changes as never, "private");
  };
  const ours = () => materializeCoPlainText(decodedTransactions(text.core));
  const insertBefore = (index: number, str: string) => {
    write(textInsertBeforeChanges(ours(), index, str, text.core.nextTransactionID() as TxId));
    expected.splice(index, 0, ...splitGraphemes(str));
  };
  insertBefore(0, "👋🏽 hello");
  insertBefore(0, "🇫🇷é");
  insertBefore(3, "👨‍👩‍👧‍👦");
  const long = Array.from({ length: 1300 }, (_, index) => tricky[index % tricky.length]).join("");
  insertBefore(2, long);
  insertBefore(0, long);
  write([textDeleteRangeChanges(ours(), 5, 40)]);
  expected.splice(5, 35);
  write(textInsertAfterChanges(ours(), 7, "a\u0308!", text.core.nextTransactionID() as TxId));
  expected.splice(8, 0, ...splitGraphemes("a\u0308!"));
  write(textInsertAfterChanges(ours(), expected.length, "END", text.core.nextTransactionID() as TxId));
  expected = [...expected, "E", "N", "D"];
  const [, onClient] = (await cluster.replicas(text)) as [RawCoPlainText, RawCoPlainText];
  await cluster.settle([text]);
  expect(content(text).toString()).toBe(expected.join(""));
  expect(content(onClient).toString()).toBe(expected.join(""));
  expect(ours().toString()).toBe(expected.join(""));
  expect(ours().asArray()).toEqual(expected);
  for (const sample of [...tricky, long]) expect(splitGraphemes(sample)).toEqual(content(text).toGraphemes(sample));
});
