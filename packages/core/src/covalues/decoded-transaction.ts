import type { JsonObject, JsonValue } from "../encoding/canonical-json.js";
import type { SessionId, SessionOwner } from "../ids/session-id.js";

/** Where a transaction sits in a CoValue: session and index within it. */
export interface TxId {
  readonly sessionID: SessionId;
  readonly txIndex: number;
  /** Set on a merged copy of a branch transaction: the branch it was made in (cojson keys it apart). */
  readonly branch?: string;
}

/**
 * A transaction after verification, permission filtering and decryption: what CoValue
 * materialisers (CoMap, CoList, …) and permission evaluation consume. Pure data.
 */
export interface DecodedTransaction {
  readonly txId: TxId;
  /** The account (or bare agent) that wrote the session. */
  readonly author: SessionOwner;
  readonly madeAt: number;
  readonly changes: readonly JsonValue[];
  readonly meta?: JsonObject;
  readonly privacy: "trusting" | "private";
  /**
   * Lost a first-writer-wins race (`meta.fww`, e.g. two clients writing a unique value's init):
   * invalid, so it changes nothing, but a CoList still keeps its insertions as hidden anchors
   * (items appended after them stay visible) and applies its deletions, as cojson does.
   */
  readonly anchorOnly?: true;
  /**
   * Where the transaction really sits, when `txId` names a merged copy's original. Repeats are
   * recognised by this place, so a copy claiming another transaction's id can't hide it.
   */
  readonly place?: TxId;
}
