// Roles of cojson 0.20 groups and the orderings between them.
//
// cojson compares roles in two different ways and both matter for agreement:
// - while validating a group's own transactions it asks `outranks` (a parent's role replaces
//   the member's direct one only if strictly higher: admin > manager > writer > reader);
// - when anyone else asks "what role does X have" (ownedByGroup writes, reads, `roleOf`) it asks
//   `inheritsOver`, which also lets a parent's writer replace a direct writeOnly.

/** Roles an account or agent can hold in a group. */
export type AccountRole = "reader" | "writer" | "admin" | "manager" | "writeOnly";
/** Roles of invite agents: each may only grant its matching role. */
export type InviteRole = "readerInvite" | "writerInvite" | "writeOnlyInvite" | "managerInvite" | "adminInvite";
export type Role = AccountRole | InviteRole | "revoked";
/** Value of a `parent_<groupId>` key: inherit the parent's roles, or map every inherited role to one. */
export type ParentRole = "extend" | "reader" | "writer" | "manager" | "admin" | "revoked";

/** The pseudo-member whose role applies to every account that has no role of its own. */
export const EVERYONE = "everyone";
export type Everyone = typeof EVERYONE;

const roles = new Set<string>([
  "reader",
  "writer",
  "admin",
  "manager",
  "writeOnly",
  "revoked",
  "readerInvite",
  "writerInvite",
  "writeOnlyInvite",
  "managerInvite",
  "adminInvite",
]);

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && roles.has(value);
}

/** admin, manager, writer, reader or writeOnly (cojson `isAccountRole`). */
export function isAccountRole(role: unknown): role is AccountRole {
  return role === "manager" || role === "admin" || role === "writer" || role === "reader" || role === "writeOnly";
}

export function isInviteRole(role: unknown): role is InviteRole {
  return (
    role === "readerInvite" ||
    role === "writerInvite" ||
    role === "writeOnlyInvite" ||
    role === "managerInvite" ||
    role === "adminInvite"
  );
}

/** admin or manager: may set keys, parents, profile and root and change roles. */
export function isAdminLike(role: unknown): boolean {
  return role === "admin" || role === "manager";
}

/** Roles a child group takes over from a parent (writeOnly and invites never are). */
export function isInheritableRole(role: unknown): boolean {
  return role === "revoked" || role === "admin" || role === "manager" || role === "writer" || role === "reader";
}

/** `everyone` may only be reader, writer, writeOnly or revoked. */
export function isEveryoneRole(role: unknown): boolean {
  return role === "reader" || role === "writer" || role === "writeOnly" || role === "revoked";
}

/**
 * cojson's `isHigherRole`, used while validating a group's transactions: does an inherited role
 * `a` replace the role `b` held so far? Anything beats no role or revoked; otherwise only
 * admin > manager > writer > reader (so writer does not replace writeOnly here).
 */
export function outranks(a: unknown, b: unknown): boolean {
  if (a === undefined || a === "revoked") return false;
  if (b === undefined || b === "revoked") return true;
  if (b === "admin") return false;
  if (a === "admin") return true;
  if (b === "manager") return false;
  if (a === "manager") return true;
  return a === "writer" && b === "reader";
}

/**
 * cojson's `isMorePermissiveAndShouldInherit`, used by `roleOf`: does the role inherited from a
 * parent replace the role `child` held so far?
 */
export function inheritsOver(parent: unknown, child: unknown): boolean {
  switch (parent) {
    case "revoked":
      return true;
    case "admin":
      return !child || child !== "admin";
    case "manager":
      return !child || (child !== "manager" && child !== "admin");
    case "writer":
      return !child || child === "reader" || child === "writeOnly";
    case "reader":
      return !child;
    default:
      return false;
  }
}

/** Roles whose holders' transactions in an ownedByGroup value are valid. */
export function canWriteOwned(role: unknown): boolean {
  return role === "admin" || role === "manager" || role === "writer" || role === "writeOnly";
}

/**
 * Direct roles that receive the read key on rotation and the write keys of writeOnly members
 * (cojson `canRead`): every role but writeOnly, writeOnlyInvite, managerInvite and revoked.
 */
export function receivesReadKey(role: unknown): boolean {
  return (
    role === "admin" ||
    role === "manager" ||
    role === "writer" ||
    role === "reader" ||
    role === "adminInvite" ||
    role === "writerInvite" ||
    role === "readerInvite"
  );
}

/** The role an invite grants to the account that accepts it. */
export function roleGrantedByInvite(invite: InviteRole): AccountRole {
  switch (invite) {
    case "adminInvite":
      return "admin";
    case "managerInvite":
      return "manager";
    case "writerInvite":
      return "writer";
    case "writeOnlyInvite":
      return "writeOnly";
    case "readerInvite":
      return "reader";
  }
}
