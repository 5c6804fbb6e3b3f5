// The app's data. Each todo list has its own group (who may read and write it); the account's
// private root lists the todo lists this account created or joined. The same shapes in jazz-tools
// (co.map / co.list with the same fields) read and edit these values.
import { co, z } from "@cosync/schema";

export const TodoItem = co.map({ title: z.string().min(1), done: z.boolean() });
export const TodoItems = co.list(TodoItem);
export const TodoList = co.map({ title: z.string().min(1), items: TodoItems });
export const TodoLists = co.list(TodoList);
export const TodoRoot = co.map({ lists: TodoLists });

export const TodoAccount = co.account({ profile: co.profile(), root: TodoRoot }).withMigration((account) => {
  if (account.root === undefined) account.$set("root", { lists: [] });
});

/** Another member's account, read for its profile name only (its root is private). */
export const MemberAccount = co.account({ profile: co.profile(), root: co.map({}) });

/** The group owning one todo list. */
export const ListGroup = co.group();
