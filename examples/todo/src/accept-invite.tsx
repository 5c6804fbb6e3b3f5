// Opening an invite link: join the list's group with the invite (unless already a member), add the
// list to this account's lists, and open it.
import type { LocalNode } from "@cosync/core";
import { useNode } from "@cosync/react";
import { type ReactNode, useEffect, useState } from "react";
import { describeError } from "./errors.js";
import type { Invite } from "./invite-link.js";
import { openList } from "./route.js";
import { ListGroup, TodoAccount, TodoList } from "./schema.js";

const members = new Set(["admin", "manager", "writer", "reader"]);

export async function acceptInvite(node: LocalNode, invite: Invite): Promise<void> {
  const group = await ListGroup.load(invite.groupId, { loadAs: node });
  if (!members.has(group.myRole ?? "")) group.acceptInvite(invite.secret);
  const list = await TodoList.load(invite.listId, { loadAs: node });
  const me = await TodoAccount.load(node.accountId as never, { loadAs: node, resolve: { root: { lists: true } } });
  const lists = me.root?.lists;
  if (lists === undefined) throw new Error("Your account has no lists yet; reload the page and try the link again");
  if (!lists.map((mine) => mine.$id).includes(list.$id)) lists.$push(list);
}

export function AcceptInvite({ invite }: { readonly invite: Invite }): ReactNode {
  const node = useNode();
  const [failure, setFailure] = useState<string | undefined>(undefined);
  useEffect(() => {
    let cancelled = false;
    acceptInvite(node, invite).then(
      () => {
        if (!cancelled) openList(invite.listId);
      },
      (error: unknown) => {
        if (!cancelled) setFailure(describeError(error));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [node, invite]);
  return (
    <section className="empty" data-testid="accept-invite">
      {failure === undefined ? (
        <p>Joining the shared list…</p>
      ) : (
        <>
          <h2>This invite did not work</h2>
          <p role="alert">{failure}</p>
          <p className="muted">The server must be reachable the first time you open an invite.</p>
        </>
      )}
    </section>
  );
}
