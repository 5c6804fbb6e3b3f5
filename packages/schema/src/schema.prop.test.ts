// Two replicas making random schema-valid edits to a todo list (list of maps with a nested
// reference), synced at random points, converge to equal typed trees.
import { fc, test } from "@fast-check/vitest";
import type { LocalNode } from "@cosync/core";
import { expect } from "vitest";
import { co } from "./index.js";
import { aliceAndBob } from "./nodes.test-helpers.js";
import { TodoList } from "./test-schemas.test-helpers.js";

const QUERY = { $each: { assignee: true } } as const;

const arbEdit = fc.oneof(
  fc.record({ type: fc.constant("push" as const), title: fc.string({ minLength: 1, maxLength: 6 }), name: fc.string({ maxLength: 4 }) }),
  fc.record({ type: fc.constant("toggle" as const), at: fc.nat() }),
  fc.record({ type: fc.constant("rename" as const), at: fc.nat(), name: fc.string({ maxLength: 4 }) }),
  fc.record({ type: fc.constant("note" as const), at: fc.nat(), note: fc.option(fc.string({ maxLength: 4 }), { nil: undefined }) }),
  fc.record({ type: fc.constant("remove" as const), at: fc.nat() }),
  fc.record({ type: fc.constant("splice" as const), at: fc.nat(), title: fc.string({ minLength: 1, maxLength: 6 }) }),
);
const arbStep = fc.record({ replica: fc.integer({ min: 0, max: 1 }), edit: arbEdit, syncAfter: fc.boolean() });
type Edit = typeof arbEdit extends fc.Arbitrary<infer E> ? E : never;

async function apply(node: LocalNode, id: Parameters<typeof TodoList.load>[0], edit: Edit): Promise<void> {
  const list = await TodoList.load(id, { loadAs: node, resolve: QUERY });
  const at = list.length === 0 ? undefined : ("at" in edit ? edit.at % list.length : 0);
  const todo = at === undefined ? undefined : list.at(at);
  switch (edit.type) {
    case "push":
      return list.$push({ title: edit.title, done: false, assignee: { name: edit.name } });
    case "toggle":
      return todo?.$set("done", !todo.done);
    case "rename":
      return todo?.assignee.$set("name", edit.name);
    case "note":
      return edit.note === undefined ? todo?.$delete("note") : todo?.$set("note", edit.note);
    case "remove":
      return at === undefined ? undefined : list.$remove(at);
    case "splice":
      return list.$splice(at ?? 0, at === undefined ? 0 : 1, { title: edit.title, done: true, assignee: { name: "s" } });
  }
}

async function syncAll(...nodes: LocalNode[]): Promise<void> {
  for (let round = 0; round < 2; round++) await Promise.all(nodes.map((node) => node.syncManager.waitForAllSynced()));
}

test.prop([fc.array(arbStep, { minLength: 1, maxLength: 12 })], { numRuns: 15 })(
  "schema: random valid edits on two replicas converge to equal typed trees",
  async (steps) => {
    const { server, alice, bob, bobId } = await aliceAndBob();
    const group = co.group().create(alice);
    await group.addMember(bobId, "writer");
    const list = TodoList.create([{ title: "first", done: false, assignee: { name: "Ada" } }], { owner: group });
    await syncAll(alice, bob);
    const replicas = [alice, bob];
    for (const step of steps) {
      await apply(replicas[step.replica] as LocalNode, list.$id, step.edit);
      if (step.syncAfter) await syncAll(alice, bob);
    }
    await syncAll(alice, bob, server);
    await syncAll(alice, bob);
    const [a, b] = await Promise.all(replicas.map((node) => TodoList.load(list.$id, { loadAs: node, resolve: QUERY })));
    expect(b?.toJSON()).toEqual(a?.toJSON());
    await Promise.all([alice.close(), bob.close(), server.close()]);
  },
);
