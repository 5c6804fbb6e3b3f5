// App-level interop with Jazz: a todo list (a list of maps with a nested reference) in a group
// with a second member, created with @cosync/schema, is deep-loaded and edited by a real
// jazz-tools 0.20.19 worker using the equivalent co.list(co.map({…})) schema through a cosync
// server, and the edits come back typed — and the other way round.
import { type CoId, createAccountNode, type LocalNode } from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { co, memorySecretStore, openAccount, z } from "@cosync/schema";
import { type SyncServer, startSyncServer } from "@cosync/server";
import { createReconnectingConnection } from "@cosync/transport-ws";
import { Account as JazzAccount, Group as JazzGroup, co as jazzCo, z as jazzZ } from "jazz-tools";
import { startWorker } from "jazz-tools/worker";
import { afterAll, beforeAll, expect, test } from "vitest";
import { WebSocket } from "ws";

// The app's schema, in cosync and in Jazz.
const Person = co.map({ name: z.string() });
const Todo = co.map({ title: z.string(), done: z.boolean(), note: z.string().optional(), assignee: Person });
const TodoList = co.list(Todo);

const JazzPerson = jazzCo.map({ name: jazzZ.string() });
const JazzTodo = jazzCo.map({ title: jazzZ.string(), done: jazzZ.boolean(), note: jazzZ.string().optional(), assignee: JazzPerson });
const JazzTodoList = jazzCo.list(JazzTodo);

let server: SyncServer;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await startSyncServer({ port: 0, inMemory: true, log: { level: "silent" } });
});
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await server?.close();
});

async function cosyncAccount(name: string): Promise<LocalNode> {
  const node = createAccountNode({ crypto: await loadNodeCryptoProvider(), name });
  const connection = createReconnectingConnection({ url: server.url, WebSocket, onChannel: (channel) => node.syncManager.addPeer(channel) });
  stops.push(async () => {
    await connection.stop();
    await node.close();
  });
  await node.syncManager.waitForAllSynced({ timeoutMs: 10_000 });
  return node;
}

/** A Jazz worker whose account cosync created (its account and profile are on the cosync server). */
async function jazzWorker() {
  const identity = await cosyncAccount("Jazz worker");
  return startJazzWorker(identity);
}

async function startJazzWorker<S extends Parameters<typeof startWorker>[0]["AccountSchema"]>(identity: LocalNode, AccountSchema?: S) {
  const { worker, shutdownWorker } = await startWorker({
    syncServer: server.url,
    accountID: identity.accountId as string,
    accountSecret: identity.agentSecret,
    WebSocket: WebSocket as never,
    skipInboxLoad: true,
    asActiveAccount: false,
    ...(AccountSchema === undefined ? {} : { AccountSchema }),
  });
  stops.push(() => shutdownWorker());
  return worker;
}

test("a cosync todo list is deep-loaded and edited by a Jazz worker, and the edits come back typed", async () => {
  const alice = await cosyncAccount("Alice");
  const worker = await jazzWorker();
  const team = co.group().create(alice);
  await team.addMember(worker.$jazz.id as CoId, "writer");
  const todos = TodoList.create(
    [
      { title: "buy milk", done: false, assignee: { name: "Ada" } },
      { title: "bake bread", done: false, note: "rye", assignee: { name: "Bo" } },
    ],
    { owner: team },
  );
  await alice.syncManager.waitForAllSynced({ timeoutMs: 10_000 });

  const jazzTodos = await JazzTodoList.load(todos.$id, { loadAs: worker, resolve: { $each: { assignee: true } } });
  if (!jazzTodos.$isLoaded) throw new Error(`Jazz could not load the list: ${jazzTodos.$jazz.loadingState}`);
  expect(jazzTodos.map((todo) => [todo.title, todo.done, todo.note, todo.assignee.name])).toEqual([
    ["buy milk", false, undefined, "Ada"],
    ["bake bread", false, "rye", "Bo"],
  ]);
  jazzTodos[0]?.$jazz.set("done", true);
  jazzTodos[1]?.assignee.$jazz.set("name", "Bo (via Jazz)");
  jazzTodos.$jazz.push(JazzTodo.create({ title: "from Jazz", done: false, assignee: JazzPerson.create({ name: "Jay" }, jazzTodos.$jazz.owner) }, jazzTodos.$jazz.owner));
  await worker.$jazz.waitForAllCoValuesSync();

  await expect
    .poll(async () => {
      const tree = await TodoList.load(todos.$id, { loadAs: alice, resolve: { $each: { assignee: true } } });
      return tree.map((todo) => `${todo.title}|${todo.done}|${todo.assignee.name}`);
    }, { timeout: 15_000 })
    .toEqual(["buy milk|true|Ada", "bake bread|false|Bo (via Jazz)", "from Jazz|false|Jay"]);
});

test("a Jazz todo list shared with a cosync account is deep-loaded and edited with @cosync/schema, and Jazz reads the edits", async () => {
  const alice = await cosyncAccount("Alice");
  const worker = await jazzWorker();
  const aliceInJazz = await JazzAccount.load(alice.accountId as string, { loadAs: worker });
  if (!aliceInJazz.$isLoaded) throw new Error("Jazz could not load Alice's account");
  const group = JazzGroup.create({ owner: worker });
  group.addMember(aliceInJazz, "writer");
  const jazzTodos = JazzTodoList.create([JazzTodo.create({ title: "plan", done: false, assignee: JazzPerson.create({ name: "Jay" }, group) }, group)], group);
  await worker.$jazz.waitForAllCoValuesSync();

  const todos = await TodoList.load(jazzTodos.$jazz.id as CoId, { loadAs: alice, resolve: { $each: { assignee: true } } });
  expect(todos.toJSON()).toEqual([{ title: "plan", done: false, assignee: { name: "Jay" } }]);
  todos.at(0)?.$set("note", "from cosync");
  todos.at(0)?.assignee.$set("name", "Jay (via cosync)");
  todos.$push({ title: "ship", done: true, assignee: { name: "Alice" } });
  expect(() => todos.at(0)?.$set("done", "nope" as never)).toThrow(/^done: expected boolean/);
  await alice.syncManager.waitForAllSynced({ timeoutMs: 10_000 });

  await expect
    .poll(async () => {
      const tree = await JazzTodoList.load(jazzTodos.$jazz.id, { loadAs: worker, resolve: { $each: { assignee: true } } });
      if (!tree.$isLoaded) return tree.$jazz.loadingState;
      return tree.map((todo) => `${todo.title}|${todo.done}|${todo.note}|${todo.assignee.name}`);
    }, { timeout: 15_000 })
    .toEqual(["plan|false|from cosync|Jay (via cosync)", "ship|true|undefined|Alice"]);
});

test("an account opened with a @cosync/schema migration is read by Jazz with the equivalent account schema: profile, root and its list", async () => {
  const MyAccount = co.account({ profile: co.profile(), root: co.map({ todos: TodoList }) }).withMigration((account) => {
    if (account.root === undefined) account.$set("root", { todos: [{ title: "from the migration", done: false, assignee: { name: "Ada" } }] });
  });
  const { node } = await openAccount(MyAccount, {
    crypto: await loadNodeCryptoProvider(),
    secretStore: memorySecretStore(),
    name: "Dana",
    connect: (opened) => {
      const connection = createReconnectingConnection({ url: server.url, WebSocket, onChannel: (channel) => opened.syncManager.addPeer(channel) });
      stops.push(() => connection.stop());
    },
  });
  stops.push(() => node.close());
  await node.syncManager.waitForAllSynced({ timeoutMs: 10_000 });

  const JazzMyAccount = jazzCo.account({ profile: jazzCo.profile(), root: jazzCo.map({ todos: JazzTodoList }) });
  const worker = await startJazzWorker(node, JazzMyAccount);
  const me = await worker.$jazz.ensureLoaded({ resolve: { profile: true, root: { todos: { $each: { assignee: true } } } } });
  expect(me.profile.name).toBe("Dana");
  expect(me.root.todos.map((todo) => `${todo.title}/${todo.assignee.name}`)).toEqual(["from the migration/Ada"]);
});
