// Sharing: invite links (reader or writer) and the members, whom an admin may remove. Removing a
// member rotates the list's key, so nothing written after reaches them.
import type { AccountRole, CoId, Role } from "@cosync/core";
import { useCoState, useNode } from "@cosync/react";
import type { GroupInstance } from "@cosync/schema";
import { type ReactNode, useState } from "react";
import { useWrite } from "./errors.js";
import { inviteLink } from "./invite-link.js";
import { MemberAccount } from "./schema.js";

interface Member {
  readonly id: CoId;
  readonly role: Role;
}

/** The accounts with a role in the group (invite agents and removed members left out). */
function membersOf(group: GroupInstance): Member[] {
  const members: Member[] = [];
  for (const key of group.$group.state.entries.keys()) {
    if (!key.startsWith("co_z")) continue;
    const role = group.roleOf(key as CoId);
    if (role === undefined || role === "revoked" || role.endsWith("Invite")) continue;
    members.push({ id: key as CoId, role });
  }
  return members;
}

function MemberName({ id }: { readonly id: CoId }): ReactNode {
  const account = useCoState(MemberAccount, id, { resolve: { profile: true } });
  return <span className="member-name">{account?.profile?.name ?? `${id.slice(0, 12)}…`}</span>;
}

export function SharePanel({ listId, group, canManage }: { readonly listId: CoId; readonly group: GroupInstance; readonly canManage: boolean }): ReactNode {
  const node = useNode();
  const write = useWrite();
  const [role, setRole] = useState<AccountRole>("writer");
  const [link, setLink] = useState<string | undefined>(undefined);
  const [copied, setCopied] = useState(false);
  const members = membersOf(group);

  const invite = () =>
    write(() => {
      setLink(inviteLink({ listId, groupId: group.$id, secret: group.createInvite(role) }));
      setCopied(false);
    });
  const copy = async () => {
    if (link === undefined) return;
    await navigator.clipboard.writeText(link);
    setCopied(true);
  };

  return (
    <section className="share" aria-label="Sharing">
      <h3>Shared with</h3>
      <ul className="members" data-testid="members">
        {members.map((member) => (
          <li key={member.id} data-testid="member" data-role={member.role}>
            <MemberName id={member.id} />
            {member.id === node.accountId && <span className="muted"> (you)</span>}
            <span className="role">{member.role}</span>
            {canManage && member.id !== node.accountId && (
              <button type="button" className="link danger" onClick={() => write(() => group.removeMember(member.id))}>
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {canManage && (
        <div className="invite">
          <label>
            Invite as{" "}
            <select aria-label="Invite role" value={role} onChange={(event) => setRole(event.target.value as AccountRole)}>
              <option value="writer">writer (can edit)</option>
              <option value="reader">reader (can only read)</option>
            </select>
          </label>
          <button type="button" onClick={invite}>
            Create invite link
          </button>
          {link !== undefined && (
            <div className="invite-link">
              <input aria-label="Invite link" data-testid="invite-link" readOnly value={link} onFocus={(event) => event.target.select()} />
              <button type="button" onClick={() => write(copy)}>
                {copied ? "Copied" : "Copy"}
              </button>
            </div>
          )}
          <p className="muted small">Anyone with the link joins as a {role}. Send it only to them.</p>
        </div>
      )}
    </section>
  );
}
