import { expect, test } from "vitest";
import type { SessionId } from "../ids/session-id.js";
import { mergedOrigin } from "./merged-origin.js";

const own = { sessionID: "co_zA_session_zMain" as SessionId, txIndex: 7, madeAt: 1000 };
const branchSession = "co_zB_session_zBranch" as SessionId;

test("mergedOrigin: a merge copy counts at its original's place and time; omitted fields repeat the previous copy's", () => {
  expect(mergedOrigin({ deleted: "x" }, own, undefined)).toBeUndefined();
  const first = mergedOrigin({ mi: 3, t: 250, s: branchSession, b: "co_zBranch" }, own, undefined);
  expect(first).toEqual({ origin: { txId: { sessionID: branchSession, txIndex: 3, branch: "co_zBranch" }, madeAt: 750 }, valid: true });
  if (first === undefined) throw new Error("unreachable");
  // Next copy of the same run: only the index; session, branch and madeAt carry over.
  const next = { origin: { txId: { sessionID: branchSession, txIndex: 4, branch: "co_zBranch" }, madeAt: 750 }, valid: true };
  expect(mergedOrigin({ mi: 4 }, { ...own, txIndex: 8 }, first.origin)).toEqual(next);
  // t: 0 means "as the previous" (cojson tests `if (meta.t)`).
  expect(mergedOrigin({ mi: 4, t: 0 }, own, first.origin)).toEqual(next);
});

test("mergedOrigin: an origin after the copy itself is invalid; malformed indexes are not merges; no session keeps the own place", () => {
  // Invalid, but still where the next copy chains on.
  expect(mergedOrigin({ mi: 1, t: -5, s: branchSession }, own, undefined)).toEqual({ origin: { txId: { sessionID: branchSession, txIndex: 1 }, madeAt: 1005 }, valid: false });
  expect(mergedOrigin({ mi: -1, s: branchSession }, own, undefined)).toBeUndefined();
  expect(mergedOrigin({ mi: "1", s: branchSession }, own, undefined)).toBeUndefined();
  expect(mergedOrigin({ mi: 2, t: 10 }, own, undefined)).toEqual({ origin: { txId: { sessionID: own.sessionID, txIndex: 7 }, madeAt: 990 }, valid: true });
});
