// CoValue benchmark: cosync's typed views (CoMapView, CoListView over PermissionView) against real
// cojson 0.20.19 (RawCoMap, RawCoList on WasmCrypto) in the same process. Both sides are account
// nodes without storage or peers (except where a reader is synced, see 3.), writing to values
// owned by a group they created.
//
//  1. CoMap set/s, private and trusting, as a "burst" (n sets in a loop, then one microtask) and
//     "one per tick" (a microtask awaited after every set: cosync then signs every write, as in an
//     interactive app; cojson signs every write anyway). Every sample writes n sets into a fresh map
//     (keys k0…k7 in turn) and ends with one `get` of the last key written, checked, because apps read
//     what they write and a read forces materialisation.
//  2. CoList append/s (private), burst and one per tick: n appends to a fresh list, then one
//     `asArray()` (checked). Plus appends to the 10k-item list of 3., one per tick, read once at the end.
//  3. Materialising a 10k-transaction CoList: the writer appends 10k items (private, one transaction
//     each), syncs them through a server node to a fresh reader account that was added to the owner
//     group as "reader". Once all 10k transactions sit verified in the reader's memory and nothing
//     has read the list there yet, the timed part is the reader's first read:
//       cosync: `reader.getList(id).asArray()` (PermissionView.decodedTransactions: permission check
//               and decryption of every transaction, then CoListContent from scratch);
//       cojson: `reader.getCoValue(id).getCurrentContent().asArray()` on a core obtained with
//               `loadCoValueCore` (never materialised before: validation, decryption, RawCoList).
//     On both sides the owner group's content is materialised before timing; the reader's unsealing
//     of the read key (once) falls inside the timed part on both. Signature verification happened
//     during sync on both sides and is not timed. A fresh reader pair per round.
//
// The VM is shared and noisy: contenders alternate within every round (A B, then B A, …), each
// figure is the median over rounds, and ratios are only meaningful within one run.
import { createAccountNode, createLinkedChannels, createLocalNode, createMemoryStorage } from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { LocalNode as CojsonNode, cojsonInternals, LogLevel, logger } from "cojson";
import { WasmCrypto } from "cojson/crypto/WasmCrypto";
import { printTable } from "./harness.mjs";

logger.setLevel(LogLevel.ERROR);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const MAP_SETS = Number(process.env.BENCH_MAP_SETS ?? 1000);
const LIST_APPENDS = Number(process.env.BENCH_LIST_APPENDS ?? 200);
const BIG = Number(process.env.BENCH_BIG_LIST ?? 10_000);
const BIG_ROUNDS = Number(process.env.BENCH_BIG_ROUNDS ?? 5);
const BIG_APPENDS = 5;
const TARGET = 2;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const tick = () => Promise.resolve();
const macrotask = () => new Promise((resolve) => setImmediate(resolve));
const item = (i) => ({ i, text: `item ${i}` });
const total = (known) => Object.values(known.sessions).reduce((a, b) => a + b, 0);

function check(what, condition) {
  if (!condition) throw new Error(`covalues bench: ${what}`);
}

async function until(what, predicate, timeoutMs = 60_000) {
  const start = performance.now();
  while (!predicate()) {
    if (performance.now() - start > timeoutMs) throw new Error(`covalues bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * Times the contenders of one operation in alternating order: per round each contender runs
 * `setup()` (untimed) and then `body(state, n)` (timed, n ops). Returns the median µs/op per
 * contender and the spread of its samples.
 */
async function compare(contenders, { n, rounds = ROUNDS, warmup = true }) {
  const samples = contenders.map(() => []);
  if (warmup) for (const c of contenders) await c.body(await c.setup(), Math.max(1, Math.floor(n / 4)));
  for (let round = 0; round < rounds; round++) {
    const order = contenders.map((_, index) => index);
    if (round % 2 === 1) order.reverse();
    for (const index of order) {
      const contender = contenders[index];
      const state = await contender.setup();
      await macrotask();
      const start = performance.now();
      await contender.body(state, n);
      samples[index].push(((performance.now() - start) * 1000) / n);
    }
  }
  return contenders.map((_, index) => {
    const us = median(samples[index]);
    return { us, spread: ((Math.max(...samples[index]) - Math.min(...samples[index])) / us) * 100 };
  });
}

function row(metric, [ours, theirs], note) {
  const speed = theirs.us / ours.us;
  return {
    metric,
    "cosync µs/op": ours.us,
    "cojson µs/op": theirs.us,
    "cosync ops/s": 1e6 / ours.us,
    "cojson ops/s": 1e6 / theirs.us,
    "speed × cojson": speed,
    [`≥ ${TARGET}×`]: speed >= TARGET ? "yes" : "NO",
    "spread % (cosync/cojson)": `${ours.spread.toFixed(0)}/${theirs.spread.toFixed(0)}`,
    ...(note === undefined ? {} : { note }),
  };
}

// ---- 1. and 2.: writes on one node ---------------------------------------------------------------

function mapContenders(sides, privacy, perTick) {
  const body = async (map, n) => {
    for (let i = 0; i < n; i++) {
      map.set(`k${i & 7}`, i, privacy);
      if (perTick) await tick();
    }
    if (!perTick) await tick();
    check("map read back", map.get(`k${(n - 1) & 7}`) === n - 1);
    await macrotask();
  };
  return [
    { impl: "cosync", setup: () => sides.cosync.group.createMap(), body },
    { impl: "cojson", setup: () => sides.cojson.group.createMap(), body },
  ];
}

/** `append` n items one after the other (a microtask after each when `perTick`), then one read. */
function listBody(perTick, append) {
  return async ({ list, before }, n) => {
    for (let i = 0; i < n; i++) {
      append(list, item(before + i));
      if (perTick) await tick();
    }
    if (!perTick) await tick();
    const array = list.asArray();
    check("list read back", array.length === before + n && array[before + n - 1].i === before + n - 1);
    await macrotask();
  };
}

const cosyncAppend = (list, value) => list.append(value, "private");
const cojsonAppend = (list, value) => list.append(value, undefined, "private");

function listContenders(sides, perTick) {
  return [
    { impl: "cosync", setup: () => ({ list: sides.cosync.group.createList(), before: 0 }), body: listBody(perTick, cosyncAppend) },
    { impl: "cojson", setup: () => ({ list: sides.cojson.group.createList(), before: 0 }), body: listBody(perTick, cojsonAppend) },
  ];
}

// ---- 3.: a BIG-transaction list, materialised by a fresh reader -----------------------------------

/** cosync: writer, server and the 10k-item list, built with `append` like cojson's. */
async function cosyncBigList(provider) {
  const server = createLocalNode({ crypto: provider, storage: createMemoryStorage(), gc: false });
  const writer = createAccountNode({ crypto: provider, gc: false, name: "writer" });
  link(writer, server, "writer");
  const group = writer.createGroup();
  const list = group.createList();
  for (let i = 0; i < BIG; i++) list.append(item(i), "private");
  const array = list.asArray();
  check("cosync 10k list order", array.length === BIG && array[BIG - 1].i === BIG - 1 && array[0].i === 0);
  await writer.syncManager.waitForAllSynced();
  return { provider, server, writer, group, list };
}

function link(client, server, name) {
  const [toServer, toClient] = createLinkedChannels({ aId: name, bId: "server", aRole: "client", bRole: "server" });
  client.syncManager.addPeer(toServer);
  server.syncManager.addPeer(toClient);
}

/** A fresh cosync reader account holding all 10k verified transactions, none read yet. */
async function cosyncReader(big) {
  const reader = createAccountNode({ crypto: big.provider, gc: false, name: "reader" });
  link(reader, big.server, `reader-${Math.random()}`);
  await reader.syncManager.waitForAllSynced();
  check("cosync reader account loads", (await big.writer.load(reader.accountId)).status === "loaded");
  big.group.addMember(reader.accountId, "reader");
  await big.writer.syncManager.waitForAllSynced();
  check("cosync list loads", (await reader.load(big.list.id)).status === "loaded");
  const want = total(big.list.knownState());
  await until("cosync reader sync", () => total(reader.get(big.list.id).knownState()) === want);
  await until("cosync reader membership", () => reader.getGroup(big.group.id)?.roleOf(reader.accountId) === "reader");
  return reader;
}

async function cojsonBigList(crypto) {
  const serverSecret = crypto.newRandomAgentSecret();
  const server = new CojsonNode(serverSecret, crypto.newRandomSessionID(crypto.getAgentID(serverSecret)), crypto);
  const peer = cojsonConnect(server, "writer");
  const { node: writer } = await CojsonNode.withNewlyCreatedAccount({ creationProps: { name: "writer" }, peers: [peer], crypto });
  const group = writer.createGroup();
  const list = group.createList();
  for (let i = 0; i < BIG; i++) list.append(item(i), undefined, "private");
  const array = list.asArray();
  check("cojson 10k list order", array.length === BIG && array[BIG - 1].i === BIG - 1 && array[0].i === 0);
  await list.core.waitForSync();
  return { crypto, server, writer, group, list };
}

function cojsonConnect(server, name) {
  const [asServer, asClient] = cojsonInternals.connectedPeers("server", name, { peer1role: "server", peer2role: "client" });
  server.syncManager.addPeer(asClient);
  return asServer;
}

async function cojsonReader(big) {
  const peer = cojsonConnect(big.server, `reader-${Math.random()}`);
  const { node: reader, accountID } = await CojsonNode.withNewlyCreatedAccount({
    creationProps: { name: "reader" },
    peers: [peer],
    crypto: big.crypto,
  });
  await reader.expectCoValueLoaded(accountID).waitForSync();
  const account = await big.writer.load(accountID);
  check("cojson reader account loads", account !== "unavailable");
  big.group.addMember(account, "reader");
  await big.group.core.waitForSync();
  const core = await reader.loadCoValueCore(big.list.id);
  const want = total(big.list.core.knownState());
  await until("cojson reader sync", () => total(core.knownState()) === want);
  await until("cojson reader membership", () => reader.getCoValue(big.group.id).isAvailable());
  return { reader, core };
}

async function materialiseRounds(ours, theirs) {
  const cosyncMs = [];
  const cojsonMs = [];
  const cosyncWarmMs = [];
  for (let round = 0; round < BIG_ROUNDS; round++) {
    const cosync = async () => {
      const reader = await cosyncReader(ours);
      reader.getGroup(ours.group.id).state; // the owner group materialised, as on the cojson side
      await macrotask();
      const start = performance.now();
      const array = reader.getList(ours.list.id).asArray();
      cosyncMs.push(performance.now() - start);
      check(`cosync reader sees 10k items (${array.length})`, array.length === BIG && array[BIG - 1].i === BIG - 1);
      // A second, fresh view: decoded transactions are cached per node, only CoListContent is rebuilt.
      const again = performance.now();
      reader.getList(ours.list.id).asArray();
      cosyncWarmMs.push(performance.now() - again);
      await reader.close();
    };
    const cojson = async () => {
      const { reader, core } = await cojsonReader(theirs);
      reader.getCoValue(theirs.group.id).getCurrentContent(); // the owner group materialised
      await macrotask();
      const start = performance.now();
      const array = core.getCurrentContent().asArray();
      cojsonMs.push(performance.now() - start);
      check("cojson reader sees 10k items", array.length === BIG && array[BIG - 1].i === BIG - 1);
      await reader.gracefulShutdown();
    };
    const order = round % 2 === 0 ? [cosync, cojson] : [cojson, cosync];
    for (const side of order) await side();
  }
  const spread = (values) => ((Math.max(...values) - Math.min(...values)) / median(values)) * 100;
  return {
    pair: [
      { us: (median(cosyncMs) * 1000) / BIG, spread: spread(cosyncMs) },
      { us: (median(cojsonMs) * 1000) / BIG, spread: spread(cojsonMs) },
    ],
    cosyncMs: median(cosyncMs),
    cojsonMs: median(cojsonMs),
    cosyncFreshViewMs: median(cosyncWarmMs),
  };
}

/**
 * What decrypting and parsing the 10k private transactions alone costs per transaction (base64url,
 * BLAKE3 nonce, XSalsa20, UTF-8, JSON.parse: the primitives both sides must run for each one), so
 * the materialise ratio can be read against it. Median of 5 passes over the writer's transactions.
 */
function decryptFloor(big) {
  const crypto = big.writer.crypto;
  const key = big.writer.permissions.writeKeyFor(big.group.id);
  const placed = [...big.list.transactions()];
  const passes = [];
  for (let pass = 0; pass < 5; pass++) {
    const start = performance.now();
    for (const { sessionId, txIndex, tx } of placed) {
      const text = crypto.decryptText(tx.encryptedChanges, key.secret, crypto.transactionNonce(big.list.id, sessionId, txIndex));
      check("floor decrypts", Array.isArray(JSON.parse(text)));
    }
    passes.push(((performance.now() - start) * 1000) / placed.length);
  }
  return median(passes);
}

// ---- run ---------------------------------------------------------------------------------------------

const TIMED = [
  `What is timed (per op = per write, or per transaction for the ${BIG}-transaction materialisation):`,
  `- CoMap rows: ${MAP_SETS} sets into a fresh map (keys k0…k7 in turn), then one get of the last key (checked); burst = one microtask after`,
  "  the loop (cosync signs once), per tick = `await Promise.resolve()` after every set (cosync signs every write). A setImmediate",
  "  ends every sample on both sides, so deferred work lands in the timing; creating the map is not timed.",
  `- CoList rows: ${LIST_APPENDS} private appends of {i, text} to a fresh list, then one asArray() (checked); burst/per tick as above.`,
  `  "at ${BIG / 1000}k items": ${BIG_APPENDS} appends per sample to the writer's ${BIG}-item list of the materialise row (after it), one per tick, one asArray() at the end.`,
  `- Materialise: a fresh reader account (added as "reader" to the owner group) holds all ${BIG} verified private transactions, synced`,
  "  through a server node; its owner group is materialised. Timed: the first read — cosync `reader.getList(id).asArray()`",
  "  (permission checks + decryption of all transactions in PermissionView.decodedTransactions + CoListContent), cojson",
  "  `core.getCurrentContent().asArray()` on a core from loadCoValueCore (validation + decryption + RawCoList). Reader key",
  `  unsealing is inside on both sides; sync and signature verification are not. ${BIG_ROUNDS} rounds, fresh readers each round.`,
];

export async function run() {
  const started = performance.now();
  const provider = await loadNodeCryptoProvider();
  const cojsonCrypto = await WasmCrypto.create();
  const cosyncNode = createAccountNode({ crypto: provider, gc: false, name: "bench" });
  const { node: cojsonNode } = await CojsonNode.withNewlyCreatedAccount({ creationProps: { name: "bench" }, crypto: cojsonCrypto });
  const sides = { cosync: { group: cosyncNode.createGroup() }, cojson: { group: cojsonNode.createGroup() } };
  console.log(
    `${ROUNDS} alternating rounds per row (${BIG_ROUNDS} for the ${BIG / 1000}k rows); medians over rounds; one process, cojson 0.20.19 on WasmCrypto, cosync on node-native.\n`,
  );

  const rows = [];
  for (const privacy of ["private", "trusting"]) {
    for (const perTick of [false, true]) {
      const metric = `CoMap set (${privacy}, ${perTick ? "one per tick" : "burst"}) + read`;
      rows.push(row(metric, await compare(mapContenders(sides, privacy, perTick), { n: MAP_SETS })));
    }
  }
  for (const perTick of [false, true]) {
    const metric = `CoList append (private, ${perTick ? "one per tick" : "burst"}, ${LIST_APPENDS} to a fresh list) + read`;
    rows.push(row(metric, await compare(listContenders(sides, perTick), { n: LIST_APPENDS })));
  }

  const buildStart = performance.now();
  const ours = await cosyncBigList(provider);
  const cosyncBuildMs = performance.now() - buildStart;
  const theirsStart = performance.now();
  const theirs = await cojsonBigList(cojsonCrypto);
  const cojsonBuildMs = performance.now() - theirsStart;

  const materialised = await materialiseRounds(ours, theirs);
  const decryptFloorUs = decryptFloor(ours);
  rows.push(
    row(
      `Materialise ${BIG / 1000}k-tx CoList on a fresh reader (per tx)`,
      materialised.pair,
      `${materialised.cosyncMs.toFixed(1)} ms vs ${materialised.cojsonMs.toFixed(1)} ms`,
    ),
  );

  // The length is read in the untimed setup, so only the appends and the final read are timed.
  const bigAppends = [
    { impl: "cosync", setup: () => ({ list: ours.list, before: ours.list.asArray().length }), body: listBody(true, cosyncAppend) },
    { impl: "cojson", setup: () => ({ list: theirs.list, before: theirs.list.asArray().length }), body: listBody(true, cojsonAppend) },
  ];
  rows.push(
    row(
      `CoList append at ${BIG / 1000}k items (private, one per tick) + read`,
      await compare(bigAppends, { n: BIG_APPENDS, rounds: BIG_ROUNDS, warmup: false }),
    ),
  );

  const columns = [
    "metric",
    "cosync µs/op",
    "cojson µs/op",
    "cosync ops/s",
    "cojson ops/s",
    "speed × cojson",
    `≥ ${TARGET}×`,
    "spread % (cosync/cojson)",
  ];
  printTable(columns, rows);
  console.log(`\n${TIMED.join("\n")}`);
  console.log(
    `\nAlso: cosync re-read through a second fresh view on the reader (decoded transactions cached per node, CoListContent rebuilt): ` +
      `${materialised.cosyncFreshViewMs.toFixed(1)} ms. Decrypting and parsing alone (base64url + BLAKE3 nonce + XSalsa20 + UTF-8 + ` +
      `JSON.parse, no permission check, no list): ${decryptFloorUs.toFixed(2)} µs per transaction, the floor under both sides' materialise. Building the ${BIG}-item writer lists (untimed setup, incl. sync to the server): ` +
      `cosync ${cosyncBuildMs.toFixed(0)} ms via CoListView.append, cojson ${cojsonBuildMs.toFixed(0)} ms via RawCoList.append.`,
  );
  const targets = rows.map((r) => ({ metric: r.metric, speed: r["speed × cojson"], limit: TARGET, holds: r["speed × cojson"] >= TARGET }));
  console.log(`\ntargets (cosync ≥ ${TARGET}× cojson ops/s):`);
  for (const t of targets) console.log(`  ${t.holds ? "HOLDS " : "MISSED"}  ${t.metric}: ${t.speed.toFixed(2)}×`);
  const seconds = (performance.now() - started) / 1000;
  console.log(`\n(${seconds.toFixed(1)} s)`);
  await ours.writer.close();
  await theirs.writer.gracefulShutdown();
  return {
    rounds: ROUNDS,
    bigRounds: BIG_ROUNDS,
    mapSets: MAP_SETS,
    listAppends: LIST_APPENDS,
    bigList: BIG,
    timed: TIMED,
    rows,
    materialise: {
      cosyncMs: materialised.cosyncMs,
      cojsonMs: materialised.cojsonMs,
      cosyncFreshViewMs: materialised.cosyncFreshViewMs,
      decryptFloorUsPerTx: decryptFloorUs,
      cosyncBuildMs,
      cojsonBuildMs,
    },
    targets,
    seconds,
  };
}
