// Deep-load benchmark: a 1,000-item list of maps, each with a nested reference, held by a warm
// cosync server (in memory, over a real WebSocket). A fresh client loads the whole tree with
// `resolve: { $each: { assignee: true } }` — @cosync/schema against a real jazz-tools 0.20.19
// worker with the equivalent schema, through the same server, in the same run. Each round uses a
// new client of each (cold client, warm server); the time runs from the load call until every
// item and assignee is readable (touched).
import { createAccountNode } from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { co, z } from "@cosync/schema";
import { startSyncServer } from "@cosync/server";
import { createReconnectingConnection } from "@cosync/transport-ws";
import { LogLevel, logger } from "cojson";
import { co as jazzCo, z as jazzZ } from "jazz-tools";
import { startWorker } from "jazz-tools/worker";
import { WebSocket } from "ws";
import { printTable } from "./harness.mjs";

logger.setLevel(LogLevel.ERROR);
const ITEMS = Number(process.env.BENCH_ITEMS ?? 1_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const QUERY = { $each: { assignee: true } };

const Person = co.map({ name: z.string() });
const Todo = co.map({ title: z.string(), done: z.boolean(), assignee: Person });
const TodoList = co.list(Todo);
const JazzPerson = jazzCo.map({ name: jazzZ.string() });
const JazzTodoList = jazzCo.list(jazzCo.map({ title: jazzZ.string(), done: jazzZ.boolean(), assignee: JazzPerson }));

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function connectedAccount(crypto, url, name) {
  const node = createAccountNode({ crypto, name, gc: false });
  const connection = createReconnectingConnection({ url, WebSocket, onChannel: (channel) => node.syncManager.addPeer(channel) });
  await node.syncManager.waitForAllSynced({ timeoutMs: 30_000 });
  return {
    node,
    close: async () => {
      await connection.stop();
      await node.close();
    },
  };
}

/** Reads every item and assignee, so a lazy tree can't look faster than it is. */
function touch(items) {
  let characters = 0;
  for (const todo of items) characters += todo.title.length + todo.assignee.name.length + (todo.done ? 1 : 0);
  if (characters === 0) throw new Error("the loaded tree is empty");
  return characters;
}

async function cosyncRound(crypto, url, id) {
  const reader = await connectedAccount(crypto, url, "cosync reader");
  const start = performance.now();
  const list = await TodoList.load(id, { loadAs: reader.node, resolve: QUERY });
  const characters = touch(list);
  const ms = performance.now() - start;
  if (list.length !== ITEMS) throw new Error(`cosync loaded ${list.length} items, not ${ITEMS}`);
  await reader.close();
  return { ms, characters };
}

async function jazzRound(crypto, url, id) {
  // The worker's account is made by cosync (jazz-tools' startWorker takes existing credentials).
  const identity = await connectedAccount(crypto, url, "jazz reader");
  await identity.close();
  const { worker, shutdownWorker } = await startWorker({
    syncServer: url,
    accountID: identity.node.accountId,
    accountSecret: identity.node.agentSecret,
    WebSocket,
    skipInboxLoad: true,
    asActiveAccount: false,
  });
  const start = performance.now();
  const list = await JazzTodoList.load(id, { loadAs: worker, resolve: QUERY });
  if (!list.$isLoaded) throw new Error(`jazz-tools could not load the list: ${list.$jazz.loadingState}`);
  const characters = touch(list);
  const ms = performance.now() - start;
  if (list.length !== ITEMS) throw new Error(`jazz-tools loaded ${list.length} items, not ${ITEMS}`);
  await shutdownWorker();
  return { ms, characters };
}

export async function run() {
  const crypto = await loadNodeCryptoProvider();
  const server = await startSyncServer({ port: 0, inMemory: true, processMetrics: false, log: { level: "silent" } });
  try {
    const writer = await connectedAccount(crypto, server.url, "writer");
    const group = co.group().create(writer.node);
    await group.addMember("everyone", "reader");
    const items = Array.from({ length: ITEMS }, (_, i) => ({ title: `todo ${i}`, done: i % 3 === 0, assignee: { name: `person ${i}` } }));
    const seedStart = performance.now();
    const list = TodoList.create(items, { owner: group });
    await writer.node.syncManager.waitForAllSynced({ timeoutMs: 120_000 });
    const seedMs = performance.now() - seedStart;
    await writer.close();
    console.log(`seeded ${ITEMS} todos + ${ITEMS} assignees on the server in ${seedMs.toFixed(0)} ms`);

    const ours = [];
    const theirs = [];
    for (let round = 0; round < ROUNDS; round++) {
      ours.push(await cosyncRound(crypto, server.url, list.$id));
      theirs.push(await jazzRound(crypto, server.url, list.$id));
    }
    if (ours[0].characters !== theirs[0].characters) throw new Error("cosync and jazz-tools read different trees");
    const cosyncMs = median(ours.map((r) => r.ms));
    const jazzMs = median(theirs.map((r) => r.ms));
    const rows = printTable(
      ["metric", "cosync ms", "jazz-tools ms", "speed-up (jazz/cosync)"],
      [{ metric: `deep load of ${ITEMS} todos + assignees`, "cosync ms": cosyncMs, "jazz-tools ms": jazzMs, "speed-up (jazz/cosync)": jazzMs / cosyncMs }],
    );
    console.log(`\nmedian of ${ROUNDS} rounds; each round a fresh client of each, the same warm cosync server (in memory, WebSocket on 127.0.0.1)`);
    return { items: ITEMS, rounds: ROUNDS, seedMs, rows, cosyncRoundsMs: ours.map((r) => r.ms), jazzRoundsMs: theirs.map((r) => r.ms) };
  } finally {
    await server.close();
  }
}
