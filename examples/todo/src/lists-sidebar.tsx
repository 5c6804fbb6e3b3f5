// The account's lists (its root's `lists`), and a field to start a new one.
import type { CoId } from "@cosync/core";
import { useAccount, useCoState, useNode } from "@cosync/react";
import { type FormEvent, type ReactNode, useState } from "react";
import { useWrite } from "./errors.js";
import { openList } from "./route.js";
import { ListGroup, TodoAccount, TodoList } from "./schema.js";

function ListLink({ listId, selected }: { readonly listId: CoId; readonly selected: boolean }): ReactNode {
  const list = useCoState(TodoList, listId, { resolve: { items: true } });
  const title = list === undefined ? "Loading…" : list === null ? "Not available" : list.title;
  return (
    <li>
      <a href={`#/list/${listId}`} className={selected ? "selected" : undefined} aria-current={selected ? "page" : undefined}>
        <span className="title">{title}</span>
        {list !== undefined && list !== null && <span className="count">{list.items.length}</span>}
      </a>
    </li>
  );
}

export function ListsSidebar({ selected }: { readonly selected: CoId | undefined }): ReactNode {
  const node = useNode();
  const me = useAccount(TodoAccount, { resolve: { root: { lists: true } } });
  const write = useWrite();
  const [title, setTitle] = useState("");
  const lists = me?.root?.lists;

  const create = (event: FormEvent) => {
    event.preventDefault();
    const name = title.trim();
    if (name === "" || lists === undefined) return;
    write(() => {
      const group = ListGroup.create(node);
      const list = TodoList.create({ title: name, items: [] }, { owner: group });
      lists.$push(list);
      setTitle("");
      openList(list.$id);
    });
  };

  return (
    <nav className="sidebar" aria-label="Your lists">
      <form onSubmit={create} className="new-list">
        <input
          aria-label="New list"
          placeholder="New list…"
          value={title}
          onChange={(event) => setTitle(event.target.value)}
          disabled={lists === undefined}
        />
        <button type="submit" disabled={title.trim() === "" || lists === undefined}>
          Create
        </button>
      </form>
      {lists === undefined || lists === null ? (
        <p className="muted">{lists === null ? "Your lists are not available." : "Loading…"}</p>
      ) : lists.length === 0 ? (
        <p className="muted" data-testid="no-lists">
          No lists yet.
        </p>
      ) : (
        <ul data-testid="lists">
          {[...new Set(lists.map((list) => list.$id))].map((listId) => (
            // A list joined from two devices at once is in `lists` twice; it is shown once.
            <ListLink key={listId} listId={listId} selected={listId === selected} />
          ))}
        </ul>
      )}
    </nav>
  );
}
