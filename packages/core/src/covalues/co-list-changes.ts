import type { JsonValue } from "../encoding/canonical-json.js";
import type { CoListChange, CoListContent, CoListEntry } from "./co-list.js";
import { assertIndex, assertJsonValue } from "./json-check.js";

// The changes a writer puts in a transaction to edit a list, computed from the list as it is now
// (cojson's `RawCoList` write methods); CoListContent lays them out.

function entryAt(list: CoListContent, index: number, argument: string): CoListEntry {
  assertIndex(index, argument, 0, list.length - 1);
  return list.entryAt(index) as CoListEntry;
}

/**
 * Changes (for one transaction) that insert `values` right after the item at `afterIndex`
 * (default: the last item; on an empty list, at the start). Like cojson's `appendItems`, ops
 * anchored on an item are emitted in reverse so they read in order.
 */
export function listAppendChanges(list: CoListContent, values: readonly JsonValue[], afterIndex?: number): CoListChange[] {
  for (const [index, value] of values.entries()) assertJsonValue(value, `values[${index}]`);
  if (afterIndex === undefined && list.length === 0) {
    return values.map((value) => ({ op: "app", value, after: "start" }));
  }
  const anchor = entryAt(list, afterIndex ?? list.length - 1, "afterIndex").opId;
  return values.map((value) => ({ op: "app" as const, value, after: anchor })).reverse();
}

/** The change that inserts `value` right after the item at `afterIndex` (default: at the end). */
export function listAppendChange(list: CoListContent, value: JsonValue, afterIndex?: number): CoListChange {
  return listAppendChanges(list, [value], afterIndex)[0] as CoListChange;
}

/**
 * cojson's `prepend`: the change that puts `value` before the item at `beforeIndex` (default 0);
 * `beforeIndex === length` anchors on the end. Caveat (cojson's too): an item that already has
 * `pre` insertions gets the new one in front of them, so prefer `listInsertChange` for "at index".
 */
export function listPrependChange(list: CoListContent, value: JsonValue, beforeIndex = 0): CoListChange {
  assertJsonValue(value, "value");
  assertIndex(beforeIndex, "beforeIndex", 0, list.length);
  const entry = list.entryAt(beforeIndex);
  return { op: "pre", value, before: entry === undefined ? "end" : entry.opId };
}

/** The change that makes `value` the item at `index` (0 ≤ index ≤ length). */
export function listInsertChange(list: CoListContent, index: number, value: JsonValue): CoListChange {
  assertIndex(index, "index", 0, list.length);
  if (index === 0 && list.length > 0) return listPrependChange(list, value, 0);
  return listAppendChange(list, value, index === 0 ? undefined : index - 1);
}

/** The change that deletes the item at `index`. */
export function listDeleteChange(list: CoListContent, index: number): CoListChange {
  return { op: "del", insertion: entryAt(list, index, "index").opId };
}

/** cojson's `replace`: insert `value` after the item at `index`, then delete that item (one transaction). */
export function listReplaceChanges(list: CoListContent, index: number, value: JsonValue): CoListChange[] {
  assertJsonValue(value, "value");
  const anchor = entryAt(list, index, "index").opId;
  return [
    { op: "app", value, after: anchor },
    { op: "del", insertion: anchor },
  ];
}
