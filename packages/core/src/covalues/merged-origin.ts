import type { JsonObject } from "../encoding/canonical-json.js";
import type { SessionId } from "../ids/session-id.js";
import type { TxId } from "./decoded-transaction.js";

/** Where and when a transaction counts as made (a merged copy: its original's place). */
export interface TransactionOrigin {
  readonly txId: TxId;
  readonly madeAt: number;
}

/**
 * The origin of a merge-commit copy (cojson `mergeBranch`): merging a branch re-writes each of
 * its transactions into the source value with meta `{mi, t?, s?, b?}` — the original's index,
 * `madeAt` as an offset back from the copy's own, session and branch — so that list ops anchored
 * on branch items still find them. Omitted fields repeat the previous transaction's origin in
 * the same session (`previous`). Returns undefined for a transaction that is not such a copy.
 * A copy whose claimed origin is later than the copy itself is not `valid` (cojson refuses a `t`
 * that would move a write past an access revocation), but still the origin the next copy chains on.
 *
 * As in cojson: `t: 0` means "same as the previous", and without `s` and a previous transaction
 * the copy keeps its own place.
 */
export function mergedOrigin(
  meta: JsonObject | undefined,
  own: { readonly sessionID: SessionId; readonly txIndex: number; readonly madeAt: number },
  previous: TransactionOrigin | undefined,
): { readonly origin: TransactionOrigin; readonly valid: boolean } | undefined {
  if (meta === undefined || !Object.hasOwn(meta, "mi")) return undefined;
  const index = meta.mi;
  if (typeof index !== "number" || !Number.isSafeInteger(index) || index < 0) return undefined;
  const offset = meta.t;
  const madeAt =
    typeof offset === "number" && offset !== 0 ? own.madeAt - offset : previous !== undefined ? previous.madeAt : own.madeAt;
  const valid = madeAt <= own.madeAt;
  const session = typeof meta.s === "string" ? (meta.s as SessionId) : previous?.txId.sessionID;
  if (session === undefined) return { origin: { txId: { sessionID: own.sessionID, txIndex: own.txIndex }, madeAt }, valid };
  const branch = typeof meta.b === "string" ? meta.b : meta.b === undefined ? previous?.txId.branch : undefined;
  const txId = branch === undefined ? { sessionID: session, txIndex: index } : { sessionID: session, txIndex: index, branch };
  return { origin: { txId, madeAt }, valid };
}
