// The todo app's schemas, shared by the schema tests.
import { co, z } from "./index.js";

export const Person = co.map({ name: z.string(), age: z.number().int().optional() });
export const Todo = co.map({
  title: z.string().min(1),
  done: z.boolean(),
  note: z.string().optional(),
  assignee: Person,
  reviewer: Person.optional(),
});
export const TodoList = co.list(Todo);
