// Which read keys "I" can obtain from a group's valid state (cojson 0.20, cojson `getReadKey`),
// tried in cojson's order: revealed to everyone; sealed to me by its last revealer; wrapped with
// another key of this group that I can get (key-for-key, rotation); wrapped with a parent's key;
// sealed for a parent's group sealer.

import type { CoCrypto } from "../crypto/co-crypto.js";
import type { JsonValue } from "../encoding/canonical-json.js";
import {
  type AgentId,
  type AgentSecret,
  isAgentId,
  type SealerSecret,
  sealerIdOfAgent,
  sealerSecretOfAgent,
} from "../ids/agent-id.js";
import type { CoId } from "../ids/co-id.js";
import type { KeyId, KeySecret } from "../ids/crypto-strings.js";
import { parseGroupSealer, writeKeyForField } from "./group-keys.js";
import { directRole, type GroupLookup, type GroupState, groupKeys, groupValue, lastEntry, roleOf } from "./group-state.js";
import { EVERYONE, receivesReadKey } from "./roles.js";

/** How key access reaches accounts: the agent whose sealer id opens what an account revealed. */
export interface AccountLookup {
  /** The agent of an account (its header's `initialAdmin`), or undefined if not loaded. */
  accountAgent(id: CoId): AgentId | undefined;
}

/** Everything key access needs from the LocalNode. */
export interface KeyLookup extends GroupLookup, AccountLookup {}

/** Who is reading or writing: an account with its agent's secret, or a bare agent (invites, servers). */
export interface Identity {
  /** The account id, or the agent id for a bare agent. */
  readonly id: CoId | AgentId;
  readonly agentSecret: AgentSecret;
}

interface Search {
  readonly me: Identity;
  readonly myAgent: AgentId;
  readonly mySealer: SealerSecret;
  readonly lookup: KeyLookup;
  readonly crypto: CoCrypto;
  /** (group, key) pairs on the current search path: key-for-key loops end here. */
  readonly path: Set<string>;
  readonly found: Map<string, KeySecret>;
}

function startSearch(me: Identity, lookup: KeyLookup, crypto: CoCrypto): Search {
  return {
    me,
    myAgent: crypto.agentId(me.agentSecret),
    mySealer: sealerSecretOfAgent(me.agentSecret),
    lookup,
    crypto,
    path: new Set(),
    found: new Map(),
  };
}

/**
 * The secret of read key `keyId` of `group`, if `me` can get it; also the key of an ownedByGroup
 * value's private transaction (`keyUsed`), asked of its owner group.
 */
export function readKeySecret(
  group: GroupState,
  keyId: KeyId,
  me: Identity,
  lookup: KeyLookup,
  crypto: CoCrypto,
): KeySecret | undefined {
  return findKey(group, keyId, startSearch(me, lookup, crypto));
}

function findKey(group: GroupState, keyId: string, search: Search): KeySecret | undefined {
  const mark = `${group.id}|${keyId}`;
  const known = search.found.get(mark);
  if (known !== undefined) return known;
  if (search.path.has(mark)) return undefined;
  search.path.add(mark);
  try {
    const secret = findKeyUncached(group, keyId, search);
    if (secret !== undefined) search.found.set(mark, secret);
    return secret;
  } finally {
    search.path.delete(mark);
  }
}

function findKeyUncached(group: GroupState, keyId: string, search: Search): KeySecret | undefined {
  const { crypto, me, lookup } = search;
  const forEveryone = groupValue(group, `${keyId}_for_everyone`);
  if (typeof forEveryone === "string" && forEveryone !== "") return forEveryone as KeySecret;

  // In an account the key is revealed to the account's own agent, elsewhere to the account.
  const recipient = isAgentId(me.id) ? me.id : group.id === me.id ? search.myAgent : me.id;
  const reveal = lastEntry(group, `${keyId}_for_${recipient}`);
  if (typeof reveal?.value === "string" && reveal.value !== "") {
    const revealer = isAgentId(reveal.by) ? reveal.by : lookup.accountAgent(reveal.by);
    if (revealer !== undefined) {
      const nonce = { in: group.id, tx: { sessionID: reveal.txId.sessionID, txIndex: reveal.txId.txIndex } };
      const secret = crypto.unseal(reveal.value, search.mySealer, sealerIdOfAgent(revealer), nonce);
      if (typeof secret === "string" && secret !== "") return secret as KeySecret;
    }
  }

  const encryptingKeys = group.keyRevelations.get(keyId) ?? [];
  for (const encryptingId of encryptingKeys) {
    const encryptingSecret = findKey(group, encryptingId, search);
    const secret = encryptingSecret && unwrap(group, keyId, encryptingId, encryptingSecret, crypto);
    if (secret) return secret;
  }

  for (const parentId of group.parentIds) {
    const parent = lookup.group(parentId);
    if (parent === undefined) continue;
    for (const encryptingId of encryptingKeys) {
      const parentSecret = findKey(parent, encryptingId, search);
      const secret = parentSecret && unwrap(group, keyId, encryptingId, parentSecret, crypto);
      if (secret) return secret;
    }
    const secret = viaGroupSealer(group, keyId, parent, search);
    if (secret) return secret;
  }
  return undefined;
}

function unwrap(group: GroupState, keyId: string, encryptingId: string, encryptingSecret: KeySecret, crypto: CoCrypto) {
  const wrapped = groupValue(group, `${keyId}_for_${encryptingId}`);
  if (typeof wrapped !== "string" || wrapped === "") return undefined;
  return crypto.decryptKeySecret(wrapped, keyId as KeyId, { id: encryptingId as KeyId, secret: encryptingSecret });
}

/** A child key sealed for one of the parent's group sealers, newest sealer first. */
function viaGroupSealer(child: GroupState, keyId: string, parent: GroupState, search: Search): KeySecret | undefined {
  const sealers = parent.entries.get("groupSealer") ?? [];
  for (let index = sealers.length - 1; index >= 0; index--) {
    const value = sealers[index]?.value;
    if (typeof value !== "string" || value === "") continue;
    const { sealerId, readKeyId } = parseGroupSealer(value);
    const sealed = lastEntry(child, `${keyId}_sealedFor_${sealerId}`);
    if (typeof sealed?.value !== "string" || sealed.value === "" || readKeyId === undefined) continue;
    const parentKey = findKey(parent, readKeyId, search);
    if (parentKey === undefined) continue;
    const sealerSecret = search.crypto.groupSealerFromReadKey(parentKey).secret;
    const nonce: JsonValue = { in: child.id, tx: { sessionID: sealed.txId.sessionID, txIndex: sealed.txId.txIndex } };
    const secret = search.crypto.unsealForGroup(sealed.value, sealerSecret, nonce);
    if (typeof secret === "string" && secret !== "") return secret as KeySecret;
  }
  return undefined;
}

/**
 * cojson's heal for groups whose `readKey` was never revealed to everyone although everyone
 * reads (an old rotation bug): a reader without a direct reading role falls back to the latest
 * key that was revealed to everyone. (A direct reader is expected to write the missing reveal.)
 */
function lastKeyForEveryone(group: GroupState, me: Identity): KeyId | undefined {
  const readKey = groupValue(group, "readKey");
  if (typeof readKey !== "string" || readKey === "") return undefined;
  if (!receivesReadKey(directRole(group, EVERYONE)) || groupValue(group, `${readKey}_for_everyone`)) return undefined;
  if (receivesReadKey(directRole(group, me.id))) return undefined;
  let latest: { readonly key: string; readonly madeAt: number } | undefined;
  for (const key of groupKeys(group)) {
    if (!key.startsWith("key_") || !key.endsWith("_for_everyone")) continue;
    const madeAt = lastEntry(group, key)?.madeAt ?? 0;
    if (latest === undefined || madeAt > latest.madeAt) latest = { key, madeAt };
  }
  return latest === undefined ? undefined : (latest.key.replace("_for_everyone", "") as KeyId);
}

/**
 * The key `me` encrypts new private transactions with (cojson `getCurrentReadKeyId`): for a
 * writeOnly member (or a member without a role who has one) their own write key, else `readKey`.
 */
export function currentReadKeyId(group: GroupState, me: Identity, lookup: GroupLookup): KeyId | undefined {
  const healed = group.isAccount ? undefined : lastKeyForEveryone(group, me);
  if (healed !== undefined) return healed;
  const myRole = roleOf(group, me.id, lookup);
  const writeKey = groupValue(group, writeKeyForField(me.id));
  if (myRole === "writeOnly") return typeof writeKey === "string" ? (writeKey as KeyId) : undefined;
  if (myRole === undefined && typeof writeKey === "string" && writeKey !== "") return writeKey as KeyId;
  const readKey = groupValue(group, "readKey");
  return typeof readKey === "string" ? (readKey as KeyId) : undefined;
}

/** The current key's id and, if `me` can get it, its secret (cojson `getCurrentReadKey`). */
export function currentReadKey(
  group: GroupState,
  me: Identity,
  lookup: KeyLookup,
  crypto: CoCrypto,
): { readonly id: KeyId; readonly secret: KeySecret | undefined } | undefined {
  const id = currentReadKeyId(group, me, lookup);
  return id === undefined ? undefined : { id, secret: readKeySecret(group, id, me, lookup, crypto) };
}

/** The group sealer's secret, derived from the read key its `groupSealer` value names. */
export function groupSealerSecret(group: GroupState, me: Identity, lookup: KeyLookup, crypto: CoCrypto): SealerSecret | undefined {
  const value = groupValue(group, "groupSealer");
  if (typeof value !== "string" || value === "") return undefined;
  const { readKeyId } = parseGroupSealer(value);
  const secret =
    readKeyId === undefined
      ? currentReadKey(group, me, lookup, crypto)?.secret
      : readKeySecret(group, readKeyId as KeyId, me, lookup, crypto);
  return secret === undefined ? undefined : crypto.groupSealerFromReadKey(secret).secret;
}
