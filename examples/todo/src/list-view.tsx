// One todo list: its title, its items (add, tick, edit, reorder, delete), and who it is shared with.
// What our role allows is read from the list's group: a reader sees the list, not the controls.
import { type CoId, PermissionError, type Role } from "@cosync/core";
import { useCoState } from "@cosync/react";
import { type FormEvent, type ReactNode, useCallback, useState } from "react";
import { EditableText } from "./editable-text.js";
import { useWrite } from "./errors.js";
import { ItemRow } from "./item-row.js";
import { ListGroup, TodoList } from "./schema.js";
import { SharePanel } from "./share-panel.js";

const editors: ReadonlySet<Role | undefined> = new Set(["admin", "manager", "writer"]);

/**
 * React keys for ids that may repeat: two devices moving the same item at once can leave it in the
 * list twice (each move is a remove and an insert), and both copies must render.
 */
function occurrenceKeys(ids: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return ids.map((id) => {
    const count = seen.get(id) ?? 0;
    seen.set(id, count + 1);
    return `${id}#${count}`;
  });
}

function roleNotice(role: Role | undefined): string | undefined {
  if (role === "reader") return "You can read this list, not edit it: you were invited as a reader.";
  if (role === "revoked" || role === undefined) return "You are no longer a member of this list.";
  return undefined;
}

export function ListView({ listId }: { readonly listId: CoId }): ReactNode {
  const [denied, setDenied] = useState(false);
  const onError = useCallback((error: Error) => setDenied(error instanceof PermissionError), []);
  const list = useCoState(TodoList, listId, { resolve: { items: { $each: true } }, onError });
  const group = useCoState(ListGroup, list?.$owner.id);
  const write = useWrite();
  const [title, setTitle] = useState("");

  if (list === undefined) return <p className="muted">Loading the list…</p>;
  if (list === null && denied)
    return (
      <section className="empty" data-testid="no-access">
        <h2>You no longer have access to this list</h2>
        <p>An admin removed you, so nothing written since reaches this device. Ask them for a new invite.</p>
      </section>
    );
  if (list === null)
    return (
      <section className="empty" data-testid="unavailable">
        <h2>This list is not available</h2>
        <p>It has not reached this device yet. It will open once the sync server has it for you.</p>
      </section>
    );

  const role = group?.myRole;
  const canEdit = editors.has(role);
  const canManage = role === "admin" || role === "manager";
  const notice = group === undefined || group === null ? undefined : roleNotice(role);
  const items = list.items;

  const add = (event: FormEvent) => {
    event.preventDefault();
    const text = title.trim();
    if (text === "") return;
    write(() => {
      items.$push({ title: text, done: false });
      setTitle("");
    });
  };
  const move = (from: number, to: number) =>
    write(() => {
      const item = items.at(from);
      if (item === undefined || to < 0 || to >= items.length) return;
      items.$remove(from);
      items.$insert(to, item);
    });

  const keys = occurrenceKeys(items.map((item) => item.$id));
  const done = items.toArray().filter((item) => item.done).length;
  return (
    <section className="list" data-testid="list" data-role={role ?? "none"}>
      <header className="list-header">
        <EditableText
          value={list.title}
          label="List title"
          disabled={!canEdit}
          className="list-title"
          onSave={(next) => write(() => list.$set("title", next))}
          render={(text) => <h2 data-testid="list-title">{text}</h2>}
        />
        <p className="muted">{items.length === 0 ? "Nothing here yet" : `${done} of ${items.length} done`}</p>
      </header>
      {notice !== undefined && (
        <p className="notice" data-testid="role-notice">
          {notice}
        </p>
      )}
      {canEdit && (
        <form className="add-item" onSubmit={add}>
          <input aria-label="New item" placeholder="Add an item and press Enter" value={title} onChange={(event) => setTitle(event.target.value)} />
          <button type="submit" disabled={title.trim() === ""}>
            Add
          </button>
        </form>
      )}
      {items.length === 0 ? (
        <p className="empty-items muted" data-testid="no-items">
          {canEdit ? "No items yet. Add the first one above." : "No items yet."}
        </p>
      ) : (
        <ul className="items" data-testid="items">
          {items.map((item, index) => (
            <ItemRow
              key={keys[index]}
              item={item}
              index={index}
              count={items.length}
              canEdit={canEdit}
              onMove={move}
              onDelete={() => write(() => items.$remove(index))}
            />
          ))}
        </ul>
      )}
      {group !== undefined && group !== null && <SharePanel listId={listId} group={group} canManage={canManage} />}
    </section>
  );
}
