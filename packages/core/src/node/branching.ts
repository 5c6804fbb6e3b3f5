// Branches as cojson 0.20 makes them (`coValueCore/branching.ts`), so cosync and cojson clients can
// work on the same branches: a branch is a value of the same type whose header names its source;
// it reads the source up to where it started (see BranchTransactions) plus its own edits, and a
// merge copies its edits into the source with meta pointing back at the originals.
import type { CoValueHeader } from "../covalues/header.js";
import type { JsonObject, JsonValue } from "../encoding/canonical-json.js";
import type { CoId } from "../ids/co-id.js";
import { branchSourceOf } from "./branch-transactions.js";
import type { CoValueHandle } from "./co-value-handle.js";
import type { LocalNode } from "./local-node.js";

/** A branch's header: deterministic, so every client finds the same branch by (source, name, owner). */
export function branchHeader(source: CoValueHeader, sourceId: CoId, name: string, ownerId: CoId): CoValueHeader {
  return { type: source.type, meta: { branch: name, source: sourceId }, ruleset: { type: "ownedByGroup", group: ownerId }, uniqueness: "" };
}

/** Writes `changes` into `handle` as `privacy` asks, with the owner group's key when private. */
function writeAs(
  node: LocalNode,
  handle: CoValueHandle,
  changes: readonly JsonValue[],
  privacy: "private" | "trusting",
  meta: JsonObject,
  madeAt?: number,
): void {
  if (privacy === "trusting") {
    handle.writeTrusting(changes, meta, madeAt);
    return;
  }
  const ruleset = handle.header.ruleset;
  const key = ruleset.type === "ownedByGroup" ? node.permissions.writeKeyFor(ruleset.group) : undefined;
  if (key === undefined) throw new Error(`no read key of the owner group of ${handle.id} is available to write privately`);
  handle.writePrivate(changes, key, meta, madeAt);
}

/**
 * Creates the branch `name` of `source` (owned by `ownerId`, default the source's owner) and
 * returns its id: a "from" transaction in the branch records what of the source it starts from,
 * and a pointer transaction in the source records that the branch exists (in plain text when we
 * only read the source, which is all a reader may write).
 */
export function createBranch(node: LocalNode, source: CoValueHandle, name: string, ownerId?: CoId): CoId {
  if (typeof name !== "string" || name.length === 0) throw new TypeError("name: expected a non-empty branch name");
  const ruleset = source.header.ruleset;
  if (ruleset.type !== "ownedByGroup") throw new Error(`${source.id} is not owned by a group; only such values can be branched`);
  const role = node.getGroup(ruleset.group)?.roleOf(node.accountId ?? node.agentId);
  if (role === undefined || role === "revoked" || (role === "reader" && ownerId === undefined)) {
    throw new Error(`branching ${source.id} needs write access to ${ruleset.group}, or a reader's own owner group (ownerId); your role is ${role ?? "none"}`);
  }
  const branch = node.createCoValue(branchHeader(source.header, source.id, name, ownerId ?? ruleset.group));
  // Reopening a branch this node holds keeps its start (another `from` would move it to now).
  if (Object.keys(branch.knownState().sessions).length > 0) return branch.id;
  writeAs(node, branch, [], "private", { from: { ...source.knownState().sessions } });
  writeAs(node, source, [], role === "reader" ? "trusting" : "private", ownerId === undefined ? { branch: name } : { branch: name, ownerId });
  return branch.id;
}

/**
 * Copies the branch's edits not merged before into its source (each with meta `{mi, t?, s?, b?}`
 * naming the original, fields that repeat the previous copy's left out, as cojson writes them),
 * then a merge commit recording how much of each branch session is merged. Returns the source id.
 */
export function mergeBranch(node: LocalNode, branch: CoValueHandle): CoId {
  const sourceId = branchSourceOf(branch.header);
  if (sourceId === undefined) throw new Error(`${branch.id} is not a branch`);
  const sourceEntry = node.peekEntry(sourceId);
  if (sourceEntry?.log === undefined) throw new Error(`the source ${sourceId} of branch ${branch.id} is not loaded; load it first`);
  const source = node.get(sourceId) as CoValueHandle;
  const merged = new Map<string, number>();
  for (const tx of node.permissions.ownTransactions(sourceEntry)) {
    const commit = tx.meta;
    if (commit?.branch !== branch.id || commit.merged === null || typeof commit.merged !== "object" || Array.isArray(commit.merged)) continue;
    for (const [session, count] of Object.entries(commit.merged)) {
      if (typeof count === "number") merged.set(session, Math.max(count, merged.get(session) ?? 0));
    }
  }
  const branchEntry = node.peekEntry(branch.id);
  const edits = branchEntry === undefined ? [] : node.permissions.ownTransactions(branchEntry);
  const toMerge = edits.filter(
    (tx) => tx.anchorOnly !== true && tx.changes.length > 0 && tx.txId.txIndex >= (merged.get(tx.txId.sessionID) ?? 0),
  );
  if (toMerge.length === 0) return sourceId;
  const now = node.clock.now();
  let previous: { session: string; branch: string | undefined; madeAt: number } = { session: "", branch: undefined, madeAt: 0 };
  for (const tx of toMerge) {
    const meta: JsonObject = { mi: tx.txId.txIndex };
    if (tx.madeAt !== previous.madeAt) meta.t = now - tx.madeAt;
    if (tx.txId.sessionID !== previous.session) meta.s = tx.txId.sessionID;
    if (tx.txId.branch !== previous.branch && tx.txId.branch !== undefined) meta.b = tx.txId.branch;
    writeAs(node, source, tx.changes, tx.privacy, meta, now);
    previous = { session: tx.txId.sessionID, branch: tx.txId.branch, madeAt: tx.madeAt };
  }
  const diff: JsonObject = {};
  for (const [session, count] of Object.entries(branch.knownState().sessions)) {
    if ((merged.get(session) ?? 0) < count) diff[session] = count;
  }
  writeAs(node, source, [], "private", { merged: diff, branch: branch.id });
  return sourceId;
}
