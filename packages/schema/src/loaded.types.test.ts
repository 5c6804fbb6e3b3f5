// Type tests of the public surface: checked by tsc (tsconfig.test.json) and run by vitest.
import type { CoId, LocalNode } from "@cosync/core";
import { expectTypeOf, test } from "vitest";
import { co, type Loaded, type MapInit, type Unloaded, z } from "./index.js";
import { type Person, Todo, TodoList } from "./test-schemas.test-helpers.js";

declare const node: LocalNode;
declare const id: CoId;

test("Loaded: fields are typed, references are instances as deep as the query asks and stubs elsewhere", () => {
  type Shallow = Loaded<typeof TodoList, true>;
  expectTypeOf<ReturnType<Shallow["at"]>>().toEqualTypeOf<Unloaded<typeof Todo> | undefined>();

  type Each = Loaded<typeof TodoList, { $each: true }>;
  type Item = NonNullable<ReturnType<Each["at"]>>;
  expectTypeOf<Item["title"]>().toEqualTypeOf<string>();
  expectTypeOf<Item["done"]>().toEqualTypeOf<boolean>();
  expectTypeOf<Item["note"]>().toEqualTypeOf<string | undefined>();
  expectTypeOf<Item["assignee"]>().toEqualTypeOf<Unloaded<typeof Person>>();
  expectTypeOf<Item["reviewer"]>().toEqualTypeOf<Unloaded<typeof Person> | undefined>();

  type Deep = Loaded<typeof TodoList, { $each: { assignee: true; reviewer: true } }>;
  type DeepItem = NonNullable<ReturnType<Deep["at"]>>;
  expectTypeOf<DeepItem["assignee"]["name"]>().toEqualTypeOf<string>();
  expectTypeOf<DeepItem["assignee"]["age"]>().toEqualTypeOf<number | undefined>();
  expectTypeOf<NonNullable<DeepItem["reviewer"]>["name"]>().toEqualTypeOf<string>();
});

test("load and subscribe infer the tree from the resolve query", () => {
  const loading = () => TodoList.load(id, { loadAs: node, resolve: { $each: { assignee: true } } });
  expectTypeOf<Awaited<ReturnType<typeof loading>>>().toEqualTypeOf<Loaded<typeof TodoList, { readonly $each: { readonly assignee: true } }>>();
  type Listener = Parameters<typeof Todo.subscribe<{ assignee: true }>>[2];
  expectTypeOf<Parameters<Listener>[0]["assignee"]["name"]>().toEqualTypeOf<string>();
  // A query may only name reference fields.
  // @ts-expect-error title is JSON, not a reference
  expectTypeOf(() => TodoList.load(id, { loadAs: node, resolve: { $each: { title: true } } })).toBeFunction();
  // @ts-expect-error $each on a list of JSON items
  expectTypeOf(() => co.list(z.string()).load(id, { loadAs: node, resolve: { $each: true } })).toBeFunction();
});

test("writes and creates take what the schema accepts", () => {
  expectTypeOf<MapInit<typeof Todo.shape>>().toHaveProperty("title");
  const todo = {} as Loaded<typeof Todo>;
  expectTypeOf(todo.$set).parameter(0).toEqualTypeOf<"title" | "done" | "note" | "assignee" | "reviewer">();
  // Type-checked only, never called:
  // @ts-expect-error done is a boolean
  expectTypeOf(() => todo.$set("done", "yes")).toBeFunction();
  // @ts-expect-error title is required at create
  expectTypeOf(() => Todo.create({ done: false, assignee: { name: "Ada" } }, { owner: {} as never })).toBeFunction();
  const list = {} as Loaded<typeof TodoList>;
  // @ts-expect-error an item must be a todo (or its init)
  expectTypeOf(() => list.$push({ title: 3 })).toBeFunction();
  expectTypeOf(list.length).toEqualTypeOf<number>();
});

test("account, group, text and file instances", () => {
  const Profile = co.profile();
  const Account = co.account({ profile: Profile, root: co.map({ todos: TodoList }) });
  type Me = Loaded<typeof Account, { root: { todos: { $each: true } } }>;
  expectTypeOf<NonNullable<Me["root"]>["todos"]["length"]>().toEqualTypeOf<number>();
  expectTypeOf<NonNullable<Me["profile"]>>().toEqualTypeOf<Unloaded<typeof Profile>>();
  expectTypeOf<Loaded<ReturnType<typeof co.plainText>>["toString"]>().returns.toEqualTypeOf<string>();
  expectTypeOf<Loaded<ReturnType<typeof co.file>>["toBytes"]>().returns.toEqualTypeOf<Uint8Array | undefined>();
  expectTypeOf<Loaded<ReturnType<typeof co.group>>["createInvite"]>().returns.toEqualTypeOf<`inviteSecret_z${string}`>();
});
