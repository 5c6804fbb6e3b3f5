import type { DecodedTransaction } from "../covalues/decoded-transaction.js";
import type { CoCrypto } from "../crypto/co-crypto.js";
import type { KeyId, KeySecret } from "../ids/crypto-strings.js";
import { sessionOwner } from "../ids/session-id.js";
import { type GroupLookup, type GroupState, roleOf } from "../permissions/group-state.js";
import { type Identity, type KeyLookup, readKeySecret } from "../permissions/key-access.js";
import { type OwnedVerdict, ownedTransactionChecker } from "../permissions/owned.js";
import type { CoValueEntry } from "./co-value-entry.js";

/** How one value's transactions are decrypted and judged (cojson 0.20). */
export interface Acceptor {
  keyFor(keyId: KeyId): KeySecret | undefined;
  /** The transaction as it counts, or undefined if it is invalid. */
  judge(tx: DecodedTransaction): DecodedTransaction | undefined;
  /** A rule judged once a merged copy is placed at its original (undefined: none). */
  afterMerge?(tx: DecodedTransaction): DecodedTransaction | undefined;
}

/** What judging needs of the node's permission view. */
export interface AcceptorContext extends GroupLookup, KeyLookup {
  readonly identity: Identity;
}

/**
 * The acceptor of `entry`'s transactions, or undefined if its owner group is not loaded. Read
 * keys found are memoised in `keys` (per value, until a group changes).
 */
export function acceptorFor(
  entry: CoValueEntry,
  view: AcceptorContext,
  crypto: CoCrypto,
  keys: Map<KeyId, KeySecret | undefined>,
): Acceptor | undefined {
  const header = (entry.log as NonNullable<CoValueEntry["log"]>).header;
  const ruleset = header.ruleset;
  const me = view.identity;
  const memoKey = (state: GroupState) => {
    // Consecutive transactions almost always use the same key: skip the map for a repeat.
    let lastId: KeyId | undefined;
    let lastSecret: KeySecret | undefined;
    return (keyId: KeyId) => {
      if (keyId === lastId) return lastSecret;
      if (!keys.has(keyId)) keys.set(keyId, readKeySecret(state, keyId, me, view, crypto));
      lastId = keyId;
      lastSecret = keys.get(keyId);
      return lastSecret;
    };
  };
  if (ruleset.type === "group") {
    const state = view.group(entry.id);
    if (state === undefined) return undefined;
    const valid = new Set(state.verdicts.filter((v) => v.valid).map((v) => `${v.txId.sessionID}/${v.txId.txIndex}`));
    return { keyFor: memoKey(state), judge: (tx) => (valid.has(`${tx.txId.sessionID}/${tx.txId.txIndex}`) ? tx : undefined) };
  }
  if (ruleset.type === "ownedByGroup") {
    const owner = view.group(ruleset.group);
    if (owner === undefined) return undefined;
    const check = ownedTransactionChecker(owner, view);
    if (ruleset.restrictDeletion === true && (header.type === "colist" || header.type === "coplaintext")) {
      // cojson's RawCoList skips a valid transaction holding a `del` unless its author was admin
      // or manager of the owner at madeAt — judged after a merged copy took its original's place
      // and time, so by the original's author: a writer's delete can't pass by being merged.
      return {
        keyFor: memoKey(owner),
        judge: (tx) => countedAs(tx, check(tx)),
        afterMerge: (tx) => (hasDeletion(tx) && !mayDelete(owner, tx, view) ? undefined : tx),
      };
    }
    return { keyFor: memoKey(owner), judge: (tx) => countedAs(tx, check(tx)) };
  }
  return { keyFor: () => undefined, judge: (tx) => tx };
}

/**
 * A valid owned transaction as it counts: a reader's branch pointer counts only as its pointer —
 * no changes, and a meta of just `{ branch, ownerId }` (cojson rewrites it so), so nothing else a
 * reader puts in it (fww, merge or branch-start fields) can act.
 */
function countedAs(tx: DecodedTransaction, verdict: OwnedVerdict): DecodedTransaction | undefined {
  if (!verdict.valid) return undefined;
  const pointer = verdict.branchPointerOnly;
  return pointer === undefined ? tx : { ...tx, changes: [], meta: { branch: pointer.branch, ownerId: pointer.ownerId } };
}

function hasDeletion(tx: DecodedTransaction): boolean {
  return tx.changes.some((change) => change !== null && typeof change === "object" && !Array.isArray(change) && change.op === "del");
}

function mayDelete(owner: GroupState, tx: DecodedTransaction, lookup: GroupLookup): boolean {
  const role = roleOf(owner, sessionOwner(tx.txId.sessionID), lookup, tx.madeAt);
  return role === "admin" || role === "manager";
}
