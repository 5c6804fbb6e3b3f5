// The account: its name (click to change), the recovery secret (the identity this browser keeps in
// localStorage; whoever holds it is this account), and opening another account from its secret.
import { useAccount } from "@cosync/react";
import { type FormEvent, type ReactNode, useState } from "react";
import { EditableText } from "./editable-text.js";
import { useWrite } from "./errors.js";
import { TodoAccount } from "./schema.js";

/** Where CosyncProvider's default secret store (webStorageSecretStore) keeps the identity. */
const IDENTITY_KEY = "cosync-identity";

export function AccountMenu(): ReactNode {
  const me = useAccount(TodoAccount, { resolve: { profile: true } });
  const profile = me?.profile;
  const write = useWrite();
  const [open, setOpen] = useState(false);
  const [copied, setCopied] = useState(false);
  const [other, setOther] = useState("");
  const secret = localStorage.getItem(IDENTITY_KEY) ?? "";

  const copy = async () => {
    await navigator.clipboard.writeText(secret);
    setCopied(true);
  };
  const switchAccount = (event: FormEvent) => {
    event.preventDefault();
    write(() => {
      const parsed = JSON.parse(other) as { accountId?: unknown; agentSecret?: unknown };
      if (typeof parsed.accountId !== "string" || typeof parsed.agentSecret !== "string") throw new Error("That is not a recovery secret");
      localStorage.setItem(IDENTITY_KEY, JSON.stringify({ accountId: parsed.accountId, agentSecret: parsed.agentSecret }));
      window.location.hash = "#/";
      window.location.reload();
    });
  };

  return (
    <div className="account">
      {profile !== undefined && (
        <EditableText
          value={profile.name}
          label="Your name"
          disabled={false}
          className="account-name"
          onSave={(name) => write(() => profile.$set("name", name))}
          render={(name) => <span data-testid="account-name">{name}</span>}
        />
      )}
      <button type="button" className="link" aria-expanded={open} onClick={() => setOpen(!open)}>
        Recovery secret
      </button>
      {open && (
        <div className="popover" data-testid="recovery">
          <p>
            This secret <strong>is</strong> your account. Keep it somewhere safe to open your lists on another device; never share it.
          </p>
          <div className="invite-link">
            <input aria-label="Recovery secret" readOnly value={secret} onFocus={(event) => event.target.select()} />
            <button type="button" onClick={() => write(copy)}>
              {copied ? "Copied" : "Copy my recovery secret"}
            </button>
          </div>
          <form onSubmit={switchAccount} className="invite-link">
            <input aria-label="Another recovery secret" placeholder="Paste a recovery secret to open that account" value={other} onChange={(event) => setOther(event.target.value)} />
            <button type="submit" disabled={other.trim() === ""}>
              Open
            </button>
          </form>
        </div>
      )}
    </div>
  );
}
