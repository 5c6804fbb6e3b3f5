// Text that becomes an input on click (or Enter): Enter saves, Escape cancels.
import { type ReactNode, useState } from "react";

export interface EditableTextProps {
  readonly value: string;
  readonly label: string;
  readonly disabled: boolean;
  readonly className?: string;
  readonly onSave: (value: string) => void;
  readonly render: (value: string) => ReactNode;
}

export function EditableText(props: EditableTextProps): ReactNode {
  const [draft, setDraft] = useState<string | undefined>(undefined);
  if (draft === undefined) {
    if (props.disabled) return <div className={props.className}>{props.render(props.value)}</div>;
    return (
      <button type="button" className={`editable ${props.className ?? ""}`} title={`Edit ${props.label.toLowerCase()}`} onClick={() => setDraft(props.value)}>
        {props.render(props.value)}
      </button>
    );
  }
  const save = () => {
    const next = draft.trim();
    setDraft(undefined);
    if (next !== "" && next !== props.value) props.onSave(next);
  };
  return (
    <input
      className={`edit ${props.className ?? ""}`}
      aria-label={props.label}
      value={draft}
      // biome-ignore lint/a11y/noAutofocus: the input replaces what was just clicked
      autoFocus
      onChange={(event) => setDraft(event.target.value)}
      onBlur={save}
      onKeyDown={(event) => {
        if (event.key === "Enter") save();
        if (event.key === "Escape") setDraft(undefined);
      }}
    />
  );
}
