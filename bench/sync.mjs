// Sync benchmark: a writer node and a server node over in-process links, cosync against real
// cojson 0.20.19 in the same run.
//  - 10k writes end to end: time from the first local write until the server holds all of them.
//  - load of a 10k-transaction value: a fresh node loads it from the server (streamed in pieces).
import { CoCrypto, createLinkedChannels, createLocalNode, createMemoryStorage } from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { cojsonInternals, LocalNode as CojsonNode, LogLevel, logger } from "cojson";
import { WasmCrypto } from "cojson/crypto/WasmCrypto";
import { printTable } from "./harness.mjs";

logger.setLevel(LogLevel.ERROR);
const WRITES = Number(process.env.BENCH_WRITES ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function until(predicate, subscribe) {
  return new Promise((resolve) => {
    if (predicate()) return resolve();
    const stop = subscribe(() => {
      if (predicate()) {
        stop?.();
        resolve();
      }
    });
  });
}

const total = (state) => Object.values(state.sessions).reduce((a, b) => a + b, 0);

async function cosyncRound(crypto) {
  const server = createLocalNode({ crypto, storage: createMemoryStorage(), gc: false });
  const writer = createLocalNode({ crypto, gc: false });
  const [toServer, toClient] = createLinkedChannels({ aId: "writer", bId: "server", aRole: "client", bRole: "server", copy: false });
  writer.syncManager.addPeer(toServer);
  server.syncManager.addPeer(toClient);
  const header = { type: "costream", ruleset: { type: "unsafeAllowAll" }, meta: null, createdAt: new Date().toISOString(), uniqueness: crypto.newUniqueness() };
  const value = writer.createCoValue(header);
  const start = performance.now();
  for (let i = 0; i < WRITES; i++) value.writeTrusting([{ i, text: `item ${i}` }]);
  await until(
    () => (server.get(value.id) ? total(server.get(value.id).knownState()) === WRITES : false),
    (listener) => {
      const entry = server.entry(value.id);
      entry.listeners.add(listener);
      return () => entry.listeners.delete(listener);
    },
  );
  const writeMs = performance.now() - start;
  const reader = createLocalNode({ crypto, gc: false });
  const [r1, r2] = createLinkedChannels({ aId: "reader", bId: "server", aRole: "client", bRole: "server", copy: false });
  reader.syncManager.addPeer(r1);
  server.syncManager.addPeer(r2);
  const loadStart = performance.now();
  await reader.load(value.id);
  await until(
    () => total(reader.get(value.id).knownState()) === WRITES,
    (listener) => reader.get(value.id).subscribe(listener),
  );
  const loadMs = performance.now() - loadStart;
  return { writeMs, loadMs };
}

async function cojsonRound(crypto) {
  const serverSecret = crypto.newRandomAgentSecret();
  const server = new CojsonNode(serverSecret, crypto.newRandomSessionID(crypto.getAgentID(serverSecret)), crypto);
  const [asServer, asClient] = cojsonInternals.connectedPeers("server", "writer", { peer1role: "server", peer2role: "client" });
  server.syncManager.addPeer(asClient);
  const { node: writer } = await CojsonNode.withNewlyCreatedAccount({ creationProps: { name: "w" }, peers: [asServer], crypto });
  const group = writer.createGroup();
  const stream = group.createStream();
  await stream.core.waitForSync();
  const start = performance.now();
  for (let i = 0; i < WRITES; i++) stream.push({ i, text: `item ${i}` }, "trusting");
  await stream.core.waitForSync();
  const writeMs = performance.now() - start;
  const [rServer, rClient] = cojsonInternals.connectedPeers("server", "reader", { peer1role: "server", peer2role: "client" });
  server.syncManager.addPeer(rClient);
  const { node: reader } = await CojsonNode.withNewlyCreatedAccount({ creationProps: { name: "r" }, peers: [rServer], crypto });
  group.addMember("everyone", "reader");
  await group.core.waitForSync();
  const mine = stream.core.knownState();
  const loadStart = performance.now();
  const loaded = await reader.load(stream.id);
  await until(
    () => total(loaded.core.knownState()) >= total(mine),
    (listener) => loaded.core.subscribe(listener, false),
  );
  const loadMs = performance.now() - loadStart;
  return { writeMs, loadMs };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function run() {
  const crypto = new CoCrypto(await loadNodeCryptoProvider());
  const cojsonCrypto = await WasmCrypto.create();
  const ours = [];
  const theirs = [];
  for (let round = 0; round < ROUNDS; round++) {
    ours.push(await cosyncRound(crypto));
    theirs.push(await cojsonRound(cojsonCrypto));
  }
  const row = (name, pick) => {
    const cosync = median(ours.map(pick));
    const cojson = median(theirs.map(pick));
    return { metric: name, "cosync ms": cosync, "cojson ms": cojson, "speed-up (cojson/cosync)": cojson / cosync };
  };
  const rows = [row(`${WRITES} writes end to end`, (r) => r.writeMs), row(`load of a ${WRITES}-tx value`, (r) => r.loadMs)];
  rows.push({
    metric: "writes/s end to end",
    "cosync ms": (WRITES / rows[0]["cosync ms"]) * 1000,
    "cojson ms": (WRITES / rows[0]["cojson ms"]) * 1000,
    "speed-up (cojson/cosync)": rows[0]["speed-up (cojson/cosync)"],
  });
  printTable(["metric", "cosync ms", "cojson ms", "speed-up (cojson/cosync)"], rows);
  console.log("\nboth sides hand message objects over in process without copying (cojson: connectedPeers; cosync: linked channels, copy: false)");
  console.log("target: ≥ 3× cojson throughput (speed-up ≥ 3)");
  return { writes: WRITES, rounds: ROUNDS, rows };
}
