import { createMemoryStorage } from "@cosync/core";
import { expect, test } from "vitest";
import { co, memorySecretStore, openAccount, webStorageSecretStore, z } from "./index.js";
import { testCrypto } from "./nodes.test-helpers.js";
import { TodoList } from "./test-schemas.test-helpers.js";

const Root = co.map({ todos: TodoList, theme: z.enum(["light", "dark"]) });
const Profile = co.profile({ avatarColor: z.string().optional() });
const MyAccount = co.account({ profile: Profile, root: Root }).withMigration((account) => {
  if (account.root === undefined) account.$set("root", { todos: [], theme: "light" });
});

test("account: the migration creates root on first run only, and a stored identity reopens the same account", async () => {
  const crypto = await testCrypto();
  const storage = createMemoryStorage();
  const secretStore = memorySecretStore();
  const first = await openAccount(MyAccount, { crypto, storage, secretStore, name: "Ada" });
  expect(first.created).toBe(true);
  const me = await MyAccount.load(first.node.accountId as never, { loadAs: first.node, resolve: { root: { todos: true }, profile: true } });
  expect(me.profile?.name).toBe("Ada");
  expect(me.root?.theme).toBe("light");
  const rootId = me.root?.$id;
  me.root?.todos.$push({ title: "write docs", done: false, assignee: { name: "Ada" } });
  await first.node.close();

  const second = await openAccount(MyAccount, { crypto, storage, secretStore, name: "ignored" });
  expect(second.created).toBe(false);
  expect(second.node.accountId).toBe(first.node.accountId);
  const again = await MyAccount.load(second.node.accountId as never, { loadAs: second.node, resolve: { root: { todos: { $each: true } } } });
  expect(again.root?.$id).toBe(rootId); // not created twice
  expect(again.root?.todos.at(0)?.title).toBe("write docs");
  expect(() => again.$set("root", { todos: [], theme: "blue" } as never)).toThrow(/^root\.theme: /);
});

test("webStorageSecretStore: saves, loads and clears an identity under its key, refusing a malformed one", async () => {
  const items = new Map<string, string>();
  const storage = { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v), removeItem: (k: string) => void items.delete(k) };
  const store = webStorageSecretStore(storage, "me");
  expect(await store.load()).toBeUndefined();
  const identity = { accountId: "co_zQoGSi3tMDiH4MMgqRjDLEpxHne" as const, agentSecret: "sealerSecret_zX/signerSecret_zY" as never };
  await store.save(identity);
  expect(await store.load()).toEqual(identity);
  items.set("me", JSON.stringify({ accountId: "nope", agentSecret: "x" }));
  await expect(store.load()).rejects.toThrow(/me\.accountId/);
  await store.clear();
  expect(items.has("me")).toBe(false);
});
