import type { GroupView } from "@cosync/core";

/** What can own a new value: a core group view, or a typed group or account instance. */
export type Owner = GroupView | { readonly $group: GroupView };

/** The group view behind an owner. */
export function ownerGroup(owner: Owner | undefined, argument = "options.owner"): GroupView {
  if (owner === undefined || owner === null) throw new TypeError(`${argument}: expected a group or account to own the new value`);
  return "$group" in owner ? owner.$group : owner;
}
