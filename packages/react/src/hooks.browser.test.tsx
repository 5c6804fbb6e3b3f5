// The React bindings in real Chromium, against a real sync server (a Node process driven through
// Vitest browser commands): render, a remote change re-renders, unmount releases every
// subscription, the sync status flips offline and back when the server stops and starts, and the
// provider opens an account in the browser (IndexedDB, portable crypto, WebSocket).
import { createAccountNode, createMemoryStorage, type CoId, type LocalNode } from "@cosync/core";
import { loadPortableCryptoProvider } from "@cosync/crypto/portable";
import { co, memorySecretStore, z } from "@cosync/schema";
import { createReconnectingConnection, type ReconnectingConnection } from "@cosync/transport-ws";
import { act, cleanup, render, screen } from "@testing-library/react";
import { afterEach, expect, test } from "vitest";
import { commands } from "vitest/browser";
import { CosyncProvider, useAccount, useCoState, useSyncStatus } from "./index.js";

type ServerCommands = {
  syncServerStart(): Promise<{ id: string; url: string }>;
  syncServerStop(id: string): Promise<void>;
  syncServerPause(id: string): Promise<void>;
  syncServerResume(id: string): Promise<string>;
};
const server = commands as unknown as ServerCommands;

const Person = co.map({ name: z.string() });
const Todo = co.map({ title: z.string(), done: z.boolean(), assignee: Person });
const TodoList = co.list(Todo);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  cleanup();
  for (const stop of cleanups.splice(0).reverse()) await stop();
});

async function online(url: string, name: string): Promise<{ node: LocalNode; connection: ReconnectingConnection }> {
  const node = createAccountNode({ crypto: await loadPortableCryptoProvider(), storage: createMemoryStorage(), name });
  const connection = createReconnectingConnection({ url, onChannel: (channel) => node.syncManager.addPeer(channel), backoff: { baseMs: 50, maxMs: 200 } });
  cleanups.push(async () => {
    await connection.stop();
    await node.close();
  });
  return { node, connection };
}

function listenerCount(node: LocalNode): number {
  let count = 0;
  for (const entry of node.allEntries()) count += entry.listeners.size;
  return count;
}

function TodoTitles({ id }: { id: CoId }) {
  const todos = useCoState(TodoList, id, { resolve: { $each: { assignee: true } } });
  if (todos === undefined) return <p>loading</p>;
  if (todos === null) return <p>unavailable</p>;
  return <p data-testid="todos">{todos.map((todo) => `${todo.title}@${todo.assignee.name}`).join(", ")}</p>;
}

test("useCoState: renders the deep tree, re-renders on a remote change, and releases its subscriptions on unmount", async () => {
  const { id: serverId, url } = await server.syncServerStart();
  cleanups.push(() => server.syncServerStop(serverId));
  const alice = await online(url, "Alice");
  const bob = await online(url, "Bob");
  const team = co.group().create(alice.node);
  await bob.node.syncManager.waitForAllSynced();
  await team.addMember(bob.node.accountId as CoId, "writer");
  const todos = TodoList.create([{ title: "milk", done: false, assignee: { name: "Ada" } }], { owner: team });
  await alice.node.syncManager.waitForAllSynced();

  const before = listenerCount(bob.node);
  const view = render(
    <CosyncProvider node={bob.node}>
      <TodoTitles id={todos.$id} />
    </CosyncProvider>,
  );
  expect((await screen.findByTestId("todos")).textContent).toBe("milk@Ada");
  expect(listenerCount(bob.node)).toBeGreaterThan(before);

  act(() => todos.$push({ title: "bread", done: false, assignee: { name: "Bo" } }));
  await expect.poll(() => screen.getByTestId("todos").textContent).toBe("milk@Ada, bread@Bo");
  const mine = await TodoList.load(todos.$id, { loadAs: alice.node, resolve: { $each: { assignee: true } } });
  act(() => mine.at(0)?.assignee.$set("name", "Ada L."));
  await expect.poll(() => screen.getByTestId("todos").textContent).toBe("milk@Ada L., bread@Bo");

  view.unmount();
  expect(listenerCount(bob.node)).toBe(before);
});

function Status() {
  return <p data-testid="status">{useSyncStatus()}</p>;
}

test("useSyncStatus: synced, then offline while the server is stopped, then synced again once it is back", async () => {
  const { id: serverId, url } = await server.syncServerStart();
  cleanups.push(() => server.syncServerStop(serverId));
  const alice = await online(url, "Alice");
  await alice.node.syncManager.waitForAllSynced();
  render(
    <CosyncProvider node={alice.node}>
      <Status />
    </CosyncProvider>,
  );
  const status = () => screen.getByTestId("status").textContent;
  await expect.poll(status).toBe("synced");

  await server.syncServerPause(serverId);
  await expect.poll(status).toBe("offline");
  const group = alice.node.createGroup();
  const map = group.createMap({ written: "offline" });
  expect(status()).toBe("offline");

  await server.syncServerResume(serverId);
  await map.waitForSync({ timeoutMs: 20_000 });
  await expect.poll(status, { timeout: 20_000 }).toBe("synced");
});

const Root = co.map({ todos: TodoList });
const Account = co.account({ profile: co.profile(), root: Root }).withMigration((account) => {
  if (account.root === undefined) account.$set("root", { todos: [] });
});

function Me() {
  const me = useAccount(Account, { resolve: { profile: true, root: { todos: true } } });
  if (me === undefined || me === null) return <p>…</p>;
  return <p data-testid="me">{`${me.profile?.name} has ${me.root?.todos.length} todos`}</p>;
}

test("CosyncProvider opens an account in the browser (IndexedDB, portable crypto, WebSocket) and useAccount reads it", async () => {
  const { id: serverId, url } = await server.syncServerStart();
  cleanups.push(() => server.syncServerStop(serverId));
  const sync = { peer: url, account: Account, name: "Carol", secretStore: memorySecretStore(), storageName: `cosync-react-${crypto.randomUUID()}` };
  const view = render(
    <CosyncProvider sync={sync} fallback={<p>opening</p>}>
      <Me />
      <Status />
    </CosyncProvider>,
  );
  expect((await screen.findByTestId("me", {}, { timeout: 20_000 })).textContent).toBe("Carol has 0 todos");
  await expect.poll(() => screen.getByTestId("status").textContent, { timeout: 20_000 }).toBe("synced");
  view.unmount();
});
