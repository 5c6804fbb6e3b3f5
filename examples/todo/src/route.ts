// Hash routes: `#/` (no list), `#/list/<id>`, `#/invite/<list>/<group>/<secret>`.
import { type CoId, isCoId } from "@cosync/core";
import { useSyncExternalStore } from "react";
import { type Invite, parseInviteHash } from "./invite-link.js";

export type Route = { readonly page: "home" } | { readonly page: "list"; readonly listId: CoId } | { readonly page: "invite"; readonly invite: Invite };

export function routeOf(hash: string): Route {
  const invite = parseInviteHash(hash);
  if (invite !== undefined) return { page: "invite", invite };
  const listId = /^#\/list\/(.+)$/.exec(hash)?.[1];
  if (listId !== undefined && isCoId(listId)) return { page: "list", listId };
  return { page: "home" };
}

function subscribe(changed: () => void): () => void {
  window.addEventListener("hashchange", changed);
  return () => window.removeEventListener("hashchange", changed);
}

/** The current route, re-rendered when the hash changes. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return routeOf(hash);
}

export function openList(listId: CoId): void {
  window.location.hash = `#/list/${listId}`;
}

export function goHome(): void {
  window.location.hash = "#/";
}
