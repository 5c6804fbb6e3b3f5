// One item: tick it, edit its title, move it (buttons, or Alt+↑/↓ on the row), delete it.
import type { Loaded } from "@cosync/schema";
import type { KeyboardEvent, ReactNode } from "react";
import { EditableText } from "./editable-text.js";
import { useWrite } from "./errors.js";
import type { TodoItem } from "./schema.js";

export interface ItemRowProps {
  readonly item: Loaded<typeof TodoItem>;
  readonly index: number;
  readonly count: number;
  readonly canEdit: boolean;
  readonly onMove: (from: number, to: number) => void;
  readonly onDelete: () => void;
}

export function ItemRow({ item, index, count, canEdit, onMove, onDelete }: ItemRowProps): ReactNode {
  const write = useWrite();
  const onKeyDown = (event: KeyboardEvent) => {
    if (!canEdit || !event.altKey) return;
    if (event.key === "ArrowUp" && index > 0) onMove(index, index - 1);
    else if (event.key === "ArrowDown" && index < count - 1) onMove(index, index + 1);
    else return;
    event.preventDefault();
  };
  return (
    <li className={item.done ? "item done" : "item"} data-testid="item" data-title={item.title} data-done={item.done} onKeyDown={onKeyDown}>
      <input
        type="checkbox"
        aria-label={`Done: ${item.title}`}
        checked={item.done}
        disabled={!canEdit}
        onChange={(event) => {
          const done = event.target.checked;
          write(() => item.$set("done", done));
        }}
      />
      <EditableText
        value={item.title}
        label="Item title"
        disabled={!canEdit}
        className="item-title"
        onSave={(next) => write(() => item.$set("title", next))}
        render={(text) => <span>{text}</span>}
      />
      {canEdit && (
        <span className="item-actions">
          <button type="button" className="icon" aria-label={`Move up: ${item.title}`} disabled={index === 0} onClick={() => onMove(index, index - 1)}>
            ↑
          </button>
          <button type="button" className="icon" aria-label={`Move down: ${item.title}`} disabled={index === count - 1} onClick={() => onMove(index, index + 1)}>
            ↓
          </button>
          <button type="button" className="icon danger" aria-label={`Delete: ${item.title}`} onClick={onDelete}>
            ×
          </button>
        </span>
      )}
    </li>
  );
}
