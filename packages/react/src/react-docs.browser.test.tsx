// The example of docs/react.md (tests/docs/react.test.ts checks this file holds its blocks
// verbatim), rendered in Chromium against a real sync server: the provider opens an account in
// the browser, the header and the list render, clicking writes and re-renders.
import { co, z } from "@cosync/schema";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, expect, test } from "vitest";
import { commands } from "vitest/browser";
import { CosyncProvider, useAccount, useCoState, useSyncStatus } from "./index.js";

const server = commands as unknown as { syncServerStart(): Promise<{ id: string; url: string }>; syncServerStop(id: string): Promise<void> };

afterEach(() => cleanup());

// ---- the docs' code, verbatim ----
const Person = co.map({ name: z.string() });
const Todo = co.map({ title: z.string(), done: z.boolean(), assignee: Person });
const TodoList = co.list(Todo);
const MyAccount = co.account({ profile: co.profile(), root: co.map({ todos: TodoList }) }).withMigration((account) => {
  if (account.root === undefined) account.$set("root", { todos: [] });
});

function App({ syncServer }: { syncServer: string }) {
  return (
    <CosyncProvider sync={{ peer: syncServer, account: MyAccount, name: "Ada" }} fallback={<p>Opening…</p>}>
      <Header />
      <MyTodos />
    </CosyncProvider>
  );
}

function Header() {
  const me = useAccount(MyAccount, { resolve: { profile: true } });
  const status = useSyncStatus();
  return <h1 data-testid="header">{`${me?.profile?.name ?? "…"} (${status})`}</h1>;
}

function MyTodos() {
  const me = useAccount(MyAccount, { resolve: { root: true } });
  const todos = useCoState(TodoList, me?.root?.todos.$id, { resolve: { $each: { assignee: true } } });
  if (todos === undefined) return <p>Loading…</p>;
  if (todos === null) return <p>Not available</p>;
  return (
    <ul>
      {todos.map((todo) => (
        <li key={todo.$id}>
          <label>
            <input type="checkbox" checked={todo.done} onChange={(event) => todo.$set("done", event.target.checked)} />
            {`${todo.title} (${todo.assignee.name})`}
          </label>
        </li>
      ))}
      <li>
        <button type="button" onClick={() => todos.$push({ title: "new todo", done: false, assignee: { name: "Ada" } })}>
          Add
        </button>
      </li>
    </ul>
  );
}

// ---- end of the docs' code ----

test("docs/react.md: the example app opens an account, renders its todos, and a click writes and re-renders", async () => {
  const { id, url } = await server.syncServerStart();
  try {
    globalThis.localStorage.clear();
    const view = render(<App syncServer={url} />);
    expect(screen.getByText("Opening…")).toBeTruthy();
    await expect.poll(() => screen.queryByTestId("header")?.textContent, { timeout: 20_000 }).toMatch(/^Ada \((synced|unsynced)\)$/);
    fireEvent.click(await screen.findByText("Add", {}, { timeout: 20_000 }));
    const label = await screen.findByText("new todo (Ada)");
    const checkbox = label.parentElement?.querySelector("input") as HTMLInputElement;
    expect(checkbox.checked).toBe(false);
    fireEvent.click(checkbox);
    await expect.poll(() => checkbox.checked).toBe(true);
    await expect.poll(() => screen.getByTestId("header").textContent, { timeout: 20_000 }).toBe("Ada (synced)");
    view.unmount();
  } finally {
    await server.syncServerStop(id);
  }
});
