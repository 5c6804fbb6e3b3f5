// Invite links carry the invite secret in the URL fragment, which browsers never send to a server.
import { type CoId, type InviteSecret, parseCoId } from "@cosync/core";

/** What an invite link names: the list, the group to join, and the invite secret. */
export interface Invite {
  readonly listId: CoId;
  readonly groupId: CoId;
  readonly secret: InviteSecret;
}

/** The link that opens `invite` in this app (same page, same sync server). */
export function inviteLink(invite: Invite, base: Location = window.location): string {
  return `${base.origin}${base.pathname}${base.search}#/invite/${invite.listId}/${invite.groupId}/${invite.secret}`;
}

/** The invite in a URL fragment (`#/invite/<list>/<group>/<secret>`), or undefined. */
export function parseInviteHash(hash: string): Invite | undefined {
  const match = /^#\/invite\/([^/]+)\/([^/]+)\/(inviteSecret_z[1-9A-HJ-NP-Za-km-z]+)$/.exec(hash);
  if (match === null) return undefined;
  try {
    return { listId: parseCoId(match[1], "listId"), groupId: parseCoId(match[2], "groupId"), secret: match[3] as InviteSecret };
  } catch {
    return undefined;
  }
}
