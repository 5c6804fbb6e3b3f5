// The keys of a group's map and how cojson 0.20 classifies them. The predicates are
// cojson's own string tests (prefixes and substrings), not stricter parses: a key cojson treats as
// a key reveal must be treated as one here too, however odd it looks.

import type { AgentId, SealerId } from "../ids/agent-id.js";
import type { CoId } from "../ids/co-id.js";
import type { KeyId } from "../ids/crypto-strings.js";

/** What a group key is, in the order cojson's validator tests for it. */
export type GroupKeyKind =
  | { readonly kind: "readKey" }
  | { readonly kind: "groupSealer" }
  | { readonly kind: "profile" }
  | { readonly kind: "root" }
  /** `<key>_for_<key|account|agent|everyone>` or `<key>_sealedFor_<sealer>`. */
  | { readonly kind: "keyReveal" }
  | { readonly kind: "parent"; readonly groupId: CoId }
  /** Legacy `child_<id>`: always invalid in 0.20. */
  | { readonly kind: "child" }
  | { readonly kind: "writeKeyFor"; readonly member: string }
  /** Anything else is a member (account, agent, `everyone`, or any string) whose role is set. */
  | { readonly kind: "member"; readonly member: string };

/** `<key>_for_key…` (cojson `isKeyForKeyField`). */
export function isKeyForKeyField(key: string): boolean {
  return key.startsWith("key_") && key.includes("_for_key");
}

/** `<key>_for_sealer…`, `<key>_for_co…` or anything containing `_for_everyone` (cojson `isKeyForAccountField`). */
export function isKeyForMemberField(key: string): boolean {
  return (key.startsWith("key_") && (key.includes("_for_sealer") || key.includes("_for_co"))) || key.includes("_for_everyone");
}

/** `<key>_sealedFor_sealer…` (cojson `isKeySealedForGroupField`). */
export function isKeySealedForGroupField(key: string): boolean {
  return key.startsWith("key_") && key.includes("_sealedFor_sealer");
}

export function classifyGroupKey(key: string): GroupKeyKind {
  if (key === "readKey") return { kind: "readKey" };
  if (key === "groupSealer") return { kind: "groupSealer" };
  if (key === "profile") return { kind: "profile" };
  if (key === "root") return { kind: "root" };
  if (isKeyForKeyField(key) || isKeyForMemberField(key) || isKeySealedForGroupField(key)) return { kind: "keyReveal" };
  if (key.startsWith("parent_")) return { kind: "parent", groupId: key.slice("parent_".length) as CoId };
  if (key.startsWith("child_")) return { kind: "child" };
  if (key.startsWith("writeKeyFor_")) return { kind: "writeKeyFor", member: key.slice("writeKeyFor_".length) };
  return { kind: "member", member: key };
}

/** The key id a reveal key reveals (the part before `_for_`, else before `_sealedFor_`). */
export function revealedKeyId(key: string): string {
  let at = key.indexOf("_for_");
  if (at === -1) at = key.indexOf("_sealedFor_");
  return key.slice(0, at);
}

/** Members as cojson lists them: keys that are account ids (`co_…`) or agent ids. */
export function isMemberKey(key: string): boolean {
  return key.startsWith("co_") || (key.startsWith("sealer_") && key.includes("/signer_"));
}

export const keyRevealField = (keyId: KeyId, recipient: CoId | AgentId | KeyId | "everyone"): string =>
  `${keyId}_for_${recipient}`;
export const keySealedForGroupField = (keyId: KeyId, sealer: SealerId): string => `${keyId}_sealedFor_${sealer}`;
export const parentField = (groupId: CoId): string => `parent_${groupId}`;
export const writeKeyForField = (member: string): string => `writeKeyFor_${member}`;

/** The `groupSealer` value of 0.20: `<readKeyId>@<sealerId>`. */
export function formatGroupSealer(readKeyId: KeyId, sealerId: SealerId): string {
  return `${readKeyId}@${sealerId}`;
}

/** Splits a `groupSealer` value; legacy values are a bare sealer id without the read key id. */
export function parseGroupSealer(value: string): { readonly sealerId: string; readonly readKeyId?: string } {
  const at = value.indexOf("@");
  return at > 0 ? { sealerId: value.slice(at + 1), readKeyId: value.slice(0, at) } : { sealerId: value };
}

/** Ids a group's changes make it depend on: parents and account members (cojson `getGroupDependentKey`). */
export function dependencyOfGroupKey(key: string): CoId | undefined {
  if (key.startsWith("parent_")) return key.slice("parent_".length) as CoId;
  if (key.startsWith("co_")) return key as CoId;
  return undefined;
}
