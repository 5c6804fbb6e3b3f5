import { type CoId, createAccountNode, PermissionError, UnavailableError } from "@cosync/core";
import { expect, test } from "vitest";
import { co, SchemaError, z } from "./index.js";
import { aliceAndBob, listenerCount, testCrypto } from "./nodes.test-helpers.js";
import { Person, Todo, TodoList } from "./test-schemas.test-helpers.js";

test("map: create reads typed fields back, stores JSON as is and references as ids", async () => {
  const { alice } = await aliceAndBob();
  const group = co.group().create(alice);
  const ada = Person.create({ name: "Ada" }, { owner: group });
  const todo = Todo.create({ title: "buy milk", done: false, assignee: ada }, { owner: group });
  expect(todo.title).toBe("buy milk");
  expect(todo.done).toBe(false);
  expect(todo.note).toBeUndefined();
  expect(todo.assignee.$id).toBe(ada.$id);
  expect(todo.assignee.$isLoaded).toBe(true); // a value given (or created inline) reads as loaded
  expect(todo.$view.toJSON()).toEqual({ title: "buy milk", done: false, assignee: ada.$id });
  expect(todo.$view.header.meta).toBeNull();
  todo.$set("done", true);
  expect(todo.done).toBe(true);
});

test("map: a wrong type throws naming the field and what was expected, and writes nothing", async () => {
  const { alice } = await aliceAndBob();
  const group = co.group().create(alice);
  const ada = Person.create({ name: "Ada" }, { owner: group });
  const todo = Todo.create({ title: "buy milk", done: false, assignee: ada }, { owner: group });
  const before = [...todo.$view.transactions()].length;
  expect(() => todo.$set("done", "yes" as never)).toThrow(new SchemaError("done", "boolean", "yes"));
  expect(() => todo.$set("done", "yes" as never)).toThrow(/^done: expected boolean, got string "yes"$/);
  expect(() => todo.$set("title", "")).toThrow(/^title: /);
  expect(() => todo.$delete("done")).toThrow(/^done: expected boolean, got undefined$/);
  expect(() => todo.$set("assignee", 3 as never)).toThrow(/^assignee: /);
  expect([...todo.$view.transactions()].length).toBe(before);
  // A create with one bad nested field creates nothing at all (no map, no inline child).
  const values = [...alice.allEntries()].length;
  expect(() => Todo.create({ title: "x", done: false, assignee: { name: 42 as never } }, { owner: group })).toThrow(/^assignee\.name: expected string, got number 42$/);
  expect(() => Todo.create({ title: "x", done: false, assignee: ada, extra: 1 } as never, { owner: group })).toThrow(/^extra: expected no such field/);
  expect([...alice.allEntries()].length).toBe(values);
});

test("map: optional fields and optional references, set and deleted", async () => {
  const { alice } = await aliceAndBob();
  const group = co.group().create(alice);
  const todo = Todo.create({ title: "t", done: false, note: "n", assignee: { name: "Ada" }, reviewer: { name: "Bo", age: 3 } }, { owner: group });
  expect(todo.note).toBe("n");
  expect(todo.reviewer?.$id).toMatch(/^co_z/);
  todo.$delete("note");
  todo.$set("reviewer", undefined);
  expect(todo.note).toBeUndefined();
  expect(todo.reviewer).toBeUndefined();
  expect(todo.$view.get("reviewer")).toBeNull(); // as jazz-tools stores an emptied optional reference
});

test("list: $push, $unshift, $insert, $splice, $set, $remove, each item checked before any is written", async () => {
  const { alice } = await aliceAndBob();
  const group = co.group().create(alice);
  const Tags = co.list(z.string());
  const tags = Tags.create(["b"], { owner: group });
  tags.$push("c", "d");
  tags.$unshift("a");
  tags.$insert(2, "b2");
  tags.$splice(3, 1, "x", "y");
  tags.$set(0, "A");
  tags.$remove(1);
  expect(tags.toArray()).toEqual(["A", "b2", "x", "y", "d"]);
  expect(() => tags.$push("ok", 5 as never)).toThrow(/^\[6\]: expected string, got number 5$/);
  expect(tags.toArray()).toEqual(["A", "b2", "x", "y", "d"]);
  expect(() => tags.$splice(9, 0)).toThrow(RangeError);
  expect(tags.at(-1)).toBe("d");
  expect([...tags]).toHaveLength(5);
});

test("deep load: a list of maps with nested references resolves to a typed tree on another node", async () => {
  const { alice, bob, bobId } = await aliceAndBob();
  const group = co.group().create(alice);
  const list = TodoList.create(
    [
      { title: "one", done: false, assignee: { name: "Ada" } },
      { title: "two", done: true, assignee: { name: "Bo" }, reviewer: { name: "Cy" } },
    ],
    { owner: group },
  );
  await group.addMember(bobId, "writer");
  await alice.syncManager.waitForAllSynced();

  const loaded = await TodoList.load(list.$id, { loadAs: bob, resolve: { $each: { assignee: true } } });
  expect(loaded.map((todo) => `${todo.title}:${todo.assignee.name}`)).toEqual(["one:Ada", "two:Bo"]);
  expect(loaded.at(1)?.reviewer?.$isLoaded).toBe(false); // not asked for: a stub with its id
  loaded.at(0)?.$set("done", true);
  await bob.syncManager.waitForAllSynced();
  await expect.poll(() => list.at(0)?.done).toBe(true);

  const shallow = await TodoList.load(list.$id, { loadAs: bob });
  expect(shallow.at(0)?.$isLoaded).toBe(false);
});

test("deep load: unavailable and unauthorized values are named, with where they sit in the tree", async () => {
  const { alice, bob, bobId } = await aliceAndBob();
  const secret = co.group().create(alice);
  const shared = co.group().create(alice);
  await shared.addMember(bobId, "reader");
  const hidden = Person.create({ name: "Hidden" }, { owner: secret });
  const todo = Todo.create({ title: "t", done: false, assignee: hidden }, { owner: shared });
  await alice.syncManager.waitForAllSynced();

  const denied = Todo.load(todo.$id, { loadAs: bob, resolve: { assignee: true } });
  await expect(denied).rejects.toBeInstanceOf(PermissionError);
  await expect(denied).rejects.toThrow(`${hidden.$id} (at .assignee of the tree) is unauthorized: ${bob.accountId} is not a member of its owner group ${secret.$id}`);
  // Shallow, the todo itself is readable.
  expect((await Todo.load(todo.$id, { loadAs: bob })).title).toBe("t");

  const lonely = createAccountNode({ crypto: await testCrypto(), name: "Lonely" }); // never linked: no peer has its values
  const missing = co.group().create(lonely).$id;
  await expect(Todo.load(missing, { loadAs: bob })).rejects.toBeInstanceOf(UnavailableError);
  await expect(Person.load(todo.$id, { loadAs: bob, resolve: true })).resolves.toBeDefined(); // same kind: a map
  await expect(TodoList.load(todo.$id, { loadAs: bob })).rejects.toThrow(/is a comap, not a colist/);
});

test("subscribe: calls back with a consistent tree, again on a change anywhere in it, and releases every listener", async () => {
  const { alice, bob, bobId } = await aliceAndBob();
  const group = co.group().create(alice);
  await group.addMember(bobId, "writer");
  const list = TodoList.create([{ title: "one", done: false, assignee: { name: "Ada" } }], { owner: group });
  await alice.syncManager.waitForAllSynced();

  const before = listenerCount(bob);
  const seen: string[] = [];
  const unsubscribe = TodoList.subscribe(list.$id, { loadAs: bob, resolve: { $each: { assignee: true } } }, (todos) => {
    seen.push(todos.map((todo) => `${todo.title}/${todo.assignee.name}`).join(","));
  });
  await expect.poll(() => seen.at(-1)).toBe("one/Ada");
  // The list, the todo, the person, and their owner group: each watched once.
  expect(listenerCount(bob) - before).toBe(4);

  list.at(0)?.assignee.$set("name", "Ada L."); // a change two levels down, on another node
  await expect.poll(() => seen.at(-1)).toBe("one/Ada L.");
  list.$push({ title: "two", done: false, assignee: { name: "Bo" } });
  await expect.poll(() => seen.at(-1)).toBe("one/Ada L.,two/Bo");
  expect(listenerCount(bob) - before).toBe(6);

  unsubscribe();
  expect(listenerCount(bob)).toBe(before);
  list.$push({ title: "three", done: false, assignee: { name: "Cy" } });
  await alice.syncManager.waitForAllSynced();
  await bob.syncManager.waitForAllSynced();
  expect(seen.at(-1)).toBe("one/Ada L.,two/Bo");
});

test("record, feed, plain text and file schemas round-trip through another node", async () => {
  const { alice, bob, bobId } = await aliceAndBob();
  const group = co.group().create(alice);
  await group.addMember(bobId, "reader");
  const Scores = co.record(z.string(), z.number());
  const Doc = co.map({ scores: Scores, log: co.feed(z.string()), body: co.plainText(), file: co.file() });
  const scores = Scores.create({ ada: 1 }, { owner: group });
  scores.$set("bo", 2);
  expect(() => scores.$set("cy", "3" as never)).toThrow(/^cy: expected number/);
  const log = Doc.shape.log.create({ owner: group });
  log.$push("created");
  const file = co.file().create(new Uint8Array([1, 2, 3]), { owner: group, mimeType: "application/octet-stream", fileName: "a.bin" });
  const doc = Doc.create({ scores, log, body: "hello", file }, { owner: group });
  await alice.syncManager.waitForAllSynced();

  const loaded = await Doc.load(doc.$id, { loadAs: bob, resolve: { scores: true, log: true, body: true, file: true } });
  expect(loaded.scores.toJSON()).toEqual({ ada: 1, bo: 2 });
  expect(loaded.log.entries().map((entry) => entry.value)).toEqual(["created"]);
  expect(loaded.log.latestBy(alice.accountId as CoId)?.value).toBe("created");
  expect(loaded.body.toString()).toBe("hello");
  expect([...(loaded.file.toBytes() ?? [])]).toEqual([1, 2, 3]);
  expect(loaded.file.$view.header.meta).toEqual({ type: "binary" });
  expect(loaded.file.fileName).toBe("a.bin");
});

test("group: roles, invites and membership on a typed group", async () => {
  const { alice, bob, bobId } = await aliceAndBob();
  const Group = co.group();
  const group = Group.create(alice);
  expect(group.myRole).toBe("admin");
  const invite = group.createInvite("writer");
  await alice.syncManager.waitForAllSynced();
  const bobsView = await Group.load(group.$id, { loadAs: bob });
  bobsView.acceptInvite(invite);
  expect(bobsView.myRole).toBe("writer");
  await bob.syncManager.waitForAllSynced();
  await expect.poll(() => group.roleOf(bobId)).toBe("writer");
  group.removeMember(bobId);
  expect(group.roleOf(bobId)).not.toBe("writer");
  await expect(bobsView.addMember("everyone", "reader")).rejects.toThrow(PermissionError);
});

test("subscribe: an unauthorized tree is reported to onError, then delivered once access is granted", async () => {
  const { alice, bob, bobId } = await aliceAndBob();
  const group = co.group().create(alice);
  const todo = Todo.create({ title: "secret", done: false, assignee: { name: "Ada" } }, { owner: group });
  await alice.syncManager.waitForAllSynced();

  const errors: Error[] = [];
  const titles: string[] = [];
  const unsubscribe = Todo.subscribe(todo.$id, { loadAs: bob, resolve: { assignee: true }, onError: (error) => errors.push(error) }, (loaded) => {
    titles.push(`${loaded.title}/${loaded.assignee.name}`);
  });
  await expect.poll(() => errors.length).toBeGreaterThan(0);
  expect(errors[0]).toBeInstanceOf(PermissionError);
  expect(titles).toEqual([]);

  await group.addMember(bobId, "reader");
  await expect.poll(() => titles.at(-1)).toBe("secret/Ada");
  unsubscribe();
  expect(listenerCount(bob)).toBe(0);
});

test("deep load: $each resolves the references of a feed and of a record", async () => {
  const { alice, bob, bobId } = await aliceAndBob();
  const group = co.group().create(alice);
  await group.addMember(bobId, "reader");
  const People = co.record(z.string(), Person);
  const Mentions = co.feed(Person);
  const people = People.create({ ada: { name: "Ada" }, bo: { name: "Bo" } }, { owner: group });
  const mentions = Mentions.create({ owner: group });
  mentions.$push({ name: "Cy" });
  await alice.syncManager.waitForAllSynced();

  const loadedPeople = await People.load(people.$id, { loadAs: bob, resolve: { $each: true } });
  expect(loadedPeople.$entries().map(([key, person]) => `${key}=${person.name}`)).toEqual(["ada=Ada", "bo=Bo"]);
  const loadedMentions = await Mentions.load(mentions.$id, { loadAs: bob, resolve: { $each: true } });
  expect(loadedMentions.entries().map((entry) => entry.value.name)).toEqual(["Cy"]);
  expect(loadedMentions.latestBy(alice.accountId as CoId)?.by).toBe(alice.accountId);
  await expect(co.list(z.string()).load(people.$id, { loadAs: bob, resolve: { $each: true } as never })).rejects.toThrow(TypeError);
});
