import type { CoId, CoListView, CoValueHandle, GroupView, JsonValue, LocalNode } from "@cosync/core";
import { type ChildRef, CoSchema, checkItem, decodeItem, encodeItem, type ItemSchema, itemRef, type LoadOptions, refTarget } from "./co-schema.js";
import type { TreeListener, TreeSubscriptionOptions } from "./deep-load.js";
import { pathJoin, SchemaError } from "./errors.js";
import type { ItemOf, Loaded, Query, ValueInit } from "./loaded.js";
import { ownerOf } from "./map-schema.js";
import { type Owner, ownerGroup } from "./owner.js";
import { toPlainJson } from "./plain-json.js";

/**
 * A `co.list(item)` schema. Stored as jazz-tools stores it: a CoList with header meta `null`,
 * JSON items as they are, references as the referenced CoValue's id.
 */
export class CoListSchema<Item extends ItemSchema = ItemSchema> extends CoSchema {
  readonly kind = "list";

  constructor(readonly item: Item) {
    super();
  }

  loadView(node: LocalNode, id: CoId): Promise<CoValueHandle> {
    return node.loadList(id);
  }

  override refsOf(view: CoValueHandle, query: unknown): ChildRef[] {
    const each = eachQuery(query, "co.list", this.item);
    if (each === undefined) return [];
    const refs: ChildRef[] = [];
    for (const [index, raw] of (view as CoListView).asArray().entries()) {
      const ref = itemRef(this.item, raw, each, `[${index}]`);
      if (ref !== undefined) refs.push(ref);
    }
    return refs;
  }

  wrap(view: CoValueHandle, children: ReadonlyMap<CoId, unknown>): CoListInstance<Item> {
    return new CoListInstance(this, view as CoListView, children);
  }

  override checkInit(init: unknown, path: string): void {
    if (!Array.isArray(init)) throw new SchemaError(path || "init", "an array of the list's items", init);
    for (const [index, value] of init.entries()) checkItem(this.item, value, pathJoin(path, index));
  }

  override createChecked(init: unknown, owner: GroupView): CoListInstance<Item> {
    const view = owner.createList();
    const children = new Map<CoId, unknown>();
    for (const value of init as unknown[]) view.append(encodeItem(this.item, value, owner, children) ?? null);
    return this.wrap(view, children);
  }

  /** Creates a list owned by `options.owner`, after checking every item (a bad one writes nothing). */
  create(items: readonly ValueInit<Item>[], options: { readonly owner: Owner }): Loaded<this, true> {
    const owner = ownerGroup(options?.owner);
    this.checkInit(items, "");
    return this.createChecked(items, owner) as unknown as Loaded<this, true>;
  }

  load<const Q extends Query<this> = true>(id: CoId, options: LoadOptions<Q>): Promise<Loaded<this, Q>> {
    return this.loadWith(id, options) as Promise<Loaded<this, Q>>;
  }

  subscribe<const Q extends Query<this> = true>(id: CoId, options: TreeSubscriptionOptions<Q>, listener: TreeListener<Loaded<this, Q>>): () => void {
    return this.subscribeWith(id, options, listener as TreeListener<unknown>);
  }
}

/** The `$each` part of a list, feed or record query; refuses `$each` on JSON items. */
export function eachQuery(query: unknown, kind: string, item: ItemSchema): unknown {
  const each = (query as { $each?: unknown }).$each;
  if (each !== undefined && refTarget(item) === undefined) throw new TypeError(`resolve: $each on a ${kind} of JSON items (nothing to load)`);
  return each;
}

/**
 * A loaded list: read like a read-only array (`length`, `at`, iteration, `map`), written through
 * `$push`, `$unshift`, `$insert`, `$splice`, `$set` and `$remove`, every item checked before any is written.
 */
export class CoListInstance<Item extends ItemSchema = ItemSchema, Out = ItemOf<Item>> implements Iterable<Out> {
  readonly $isLoaded = true;
  readonly #view: CoListView;
  readonly #children: Map<CoId, unknown>;

  constructor(
    readonly $schema: CoListSchema<Item>,
    view: CoListView,
    children: ReadonlyMap<CoId, unknown>,
  ) {
    this.#view = view;
    this.#children = new Map(children);
  }

  get $id(): CoId {
    return this.#view.id;
  }
  get $view(): CoListView {
    return this.#view;
  }
  get $owner(): GroupView {
    return ownerOf(this.#view);
  }

  get length(): number {
    return this.#view.length;
  }
  /** The typed item at `index` (negative counts from the end), or undefined. */
  at(index: number): Out | undefined {
    const at = index < 0 ? this.length + index : index;
    if (at < 0 || at >= this.length) return undefined;
    return this.#decode(this.#view.get(at));
  }
  toArray(): Out[] {
    return this.#view.asArray().map((raw) => this.#decode(raw));
  }
  [Symbol.iterator](): Iterator<Out> {
    return this.toArray()[Symbol.iterator]();
  }
  map<T>(callback: (item: Out, index: number) => T): T[] {
    return this.toArray().map(callback);
  }

  #decode(raw: JsonValue | undefined): Out {
    return decodeItem(this.$schema.item, raw, this.#children) as Out;
  }

  #check(items: readonly unknown[], from: number): void {
    for (const [offset, value] of items.entries()) checkItem(this.$schema.item, value, `[${from + offset}]`);
  }
  #encode(value: unknown): JsonValue {
    return encodeItem(this.$schema.item, value, this.$owner, this.#children) ?? null;
  }

  /** Appends items at the end. */
  $push(...items: ValueInit<Item>[]): void {
    this.$insert(this.length, ...items);
  }
  /** Inserts items at the start, in order. */
  $unshift(...items: ValueInit<Item>[]): void {
    this.$insert(0, ...items);
  }
  /** Inserts items before the item at `index` (`length` appends). */
  $insert(index: number, ...items: ValueInit<Item>[]): void {
    this.#assertIndex(index, this.length, "index");
    this.#check(items, index);
    for (const [offset, value] of items.entries()) this.#view.insert(index + offset, this.#encode(value));
  }
  /** Removes `deleteCount` items from `start`, then inserts `items` there (like Array#splice). */
  $splice(start: number, deleteCount: number, ...items: ValueInit<Item>[]): void {
    this.#assertIndex(start, this.length, "start");
    if (!Number.isSafeInteger(deleteCount) || deleteCount < 0) throw new RangeError(`deleteCount: expected a non-negative integer, got ${deleteCount}`);
    this.#check(items, start);
    const removing = Math.min(deleteCount, this.length - start);
    for (let i = 0; i < removing; i++) this.#view.delete(start);
    for (const [offset, value] of items.entries()) this.#view.insert(start + offset, this.#encode(value));
  }
  /** Replaces the item at `index`. */
  $set(index: number, item: ValueInit<Item>): void {
    this.#assertIndex(index, this.length - 1, "index");
    this.$splice(index, 1, item);
  }
  /** Removes the item at `index`. */
  $remove(index: number): void {
    this.#assertIndex(index, this.length - 1, "index");
    this.$splice(index, 1);
  }

  #assertIndex(index: number, max: number, argument: string): void {
    if (!Number.isSafeInteger(index) || index < 0 || index > max) throw new RangeError(`${argument}: expected an integer from 0 to ${max}, got ${index}`);
  }

  toJSON(): JsonValue[] {
    return this.toArray().map((item) => toPlainJson(item) ?? null);
  }
}
