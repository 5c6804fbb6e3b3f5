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
 * the same session (`previous`). Returns undefined for a transaction that is not such a copy,
 * and "invalid" when the claimed origin is later than the copy itself (cojson refuses a `t` that
 * would move a write past an access revocation).
 *
 * As in cojson: `t: 0` means "same as the previous", and without `s` and a previous transaction
 * the copy keeps its own place.
 */
export function mergedOrigin(
  meta: JsonObject | undefined,
  own: { readonly sessionID: SessionId; readonly txIndex: number; readonly madeAt: number },
  previous: TransactionOrigin | undefined,
): TransactionOrigin | "invalid" | undefined {
  if (meta === undefined || !Object.hasOwn(meta, "mi")) return undefined;
  const index = meta.mi;
  if (typeof index !== "number" || !Number.isSafeInteger(index) || index < 0) return undefined;
  const offset = meta.t;
  const madeAt =
    typeof offset === "number" && offset !== 0 ? own.madeAt - offset : previous !== undefined ? previous.madeAt : own.madeAt;
  if (madeAt > own.madeAt) return "invalid";
  const session = typeof meta.s === "string" ? (meta.s as SessionId) : previous?.txId.sessionID;
  if (session === undefined) return { txId: { sessionID: own.sessionID, txIndex: own.txIndex }, madeAt };
  const branch = typeof meta.b === "string" ? meta.b : meta.b === undefined ? previous?.txId.branch : undefined;
  return { txId: branch === undefined ? { sessionID: session, txIndex: index } : { sessionID: session, txIndex: index, branch }, madeAt };
}
