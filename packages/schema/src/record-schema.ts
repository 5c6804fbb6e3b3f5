import type { CoId, CoMapView, CoValueHandle, GroupView, JsonValue, LocalNode } from "@cosync/core";
import type { z } from "zod";
import { type ChildRef, CoSchema, checkItem, decodeItem, encodeItem, type ItemSchema, itemRef, type LoadOptions } from "./co-schema.js";
import type { TreeListener, TreeSubscriptionOptions } from "./deep-load.js";
import { pathJoin, SchemaError } from "./errors.js";
import { eachQuery } from "./list-schema.js";
import type { ItemOf, Loaded, Query, ValueInit } from "./loaded.js";
import { ownerOf } from "./map-schema.js";
import { type Owner, ownerGroup } from "./owner.js";
import { toPlainJson } from "./plain-json.js";

/**
 * A `co.record(z.string(), value)` schema: a CoMap whose keys are any strings the key schema
 * accepts, each holding a value of one schema (stored like a `co.map` field, as jazz-tools does).
 */
export class CoRecordSchema<Value extends ItemSchema = ItemSchema> extends CoSchema {
  readonly kind = "record";

  constructor(
    readonly key: z.ZodType<string>,
    readonly value: Value,
  ) {
    super();
  }

  loadView(node: LocalNode, id: CoId): Promise<CoValueHandle> {
    return node.loadMap(id);
  }

  override refsOf(view: CoValueHandle, query: unknown): ChildRef[] {
    const each = eachQuery(query, "co.record", this.value);
    if (each === undefined) return [];
    const refs: ChildRef[] = [];
    for (const [key, raw] of Object.entries((view as CoMapView).toJSON())) {
      const ref = itemRef(this.value, raw, each, `.${key}`);
      if (ref !== undefined) refs.push(ref);
    }
    return refs;
  }

  wrap(view: CoValueHandle, children: ReadonlyMap<CoId, unknown>): CoRecordInstance<Value> {
    return new CoRecordInstance(this, view as CoMapView, children);
  }

  checkKey(key: unknown, path: string): void {
    if (typeof key !== "string" || key.startsWith("$") || !this.key.safeParse(key).success) {
      throw new SchemaError(pathJoin(path, String(key)), "a key the record's key schema accepts (and not starting with $)", key);
    }
  }

  override checkInit(init: unknown, path: string): void {
    if (typeof init !== "object" || init === null || Array.isArray(init)) throw new SchemaError(path || "init", "an object of the record's entries", init);
    for (const [key, value] of Object.entries(init)) {
      this.checkKey(key, path);
      checkItem(this.value, value, pathJoin(path, key));
    }
  }

  override createChecked(init: unknown, owner: GroupView): CoRecordInstance<Value> {
    const view = owner.createMap();
    const children = new Map<CoId, unknown>();
    for (const [key, value] of Object.entries(init as Record<string, unknown>)) {
      const encoded = encodeItem(this.value, value, owner, children);
      if (encoded !== undefined) view.set(key, encoded);
    }
    return this.wrap(view, children);
  }

  create(init: Readonly<Record<string, ValueInit<Value>>>, options: { readonly owner: Owner }): Loaded<this, true> {
    const owner = ownerGroup(options?.owner);
    this.checkInit(init, "");
    return this.createChecked(init, owner) as unknown as Loaded<this, true>;
  }

  load<const Q extends Query<this> = true>(id: CoId, options: LoadOptions<Q>): Promise<Loaded<this, Q>> {
    return this.loadWith(id, options) as Promise<Loaded<this, Q>>;
  }

  subscribe<const Q extends Query<this> = true>(id: CoId, options: TreeSubscriptionOptions<Q>, listener: TreeListener<Loaded<this, Q>>): () => void {
    return this.subscribeWith(id, options, listener as TreeListener<unknown>);
  }
}

/** A loaded record: `$get`, `$keys`, `$entries` to read; `$set`, `$delete` to write, checked first. */
export class CoRecordInstance<Value extends ItemSchema = ItemSchema, Out = ItemOf<Value>> {
  readonly $isLoaded = true;
  readonly #view: CoMapView;
  readonly #children: Map<CoId, unknown>;

  constructor(
    readonly $schema: CoRecordSchema<Value>,
    view: CoMapView,
    children: ReadonlyMap<CoId, unknown>,
  ) {
    this.#view = view;
    this.#children = new Map(children);
  }

  get $id(): CoId {
    return this.#view.id;
  }
  get $view(): CoMapView {
    return this.#view;
  }
  get $owner(): GroupView {
    return ownerOf(this.#view);
  }

  $get(key: string): Out | undefined {
    const raw = this.#view.get(key);
    return raw === undefined ? undefined : (decodeItem(this.$schema.value, raw, this.#children) as Out);
  }
  $keys(): string[] {
    return Object.keys(this.#view.toJSON());
  }
  $entries(): [string, Out][] {
    return this.$keys().map((key) => [key, this.$get(key) as Out]);
  }
  $set(key: string, value: ValueInit<Value>): void {
    this.$schema.checkKey(key, "");
    checkItem(this.$schema.value, value, key);
    const encoded = encodeItem(this.$schema.value, value, this.$owner, this.#children);
    if (encoded === undefined) this.#view.delete(key);
    else this.#view.set(key, encoded);
  }
  $delete(key: string): void {
    this.$schema.checkKey(key, "");
    this.#view.delete(key);
  }
  toJSON(): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    for (const [key, value] of this.$entries()) out[key] = toPlainJson(value) ?? null;
    return out;
  }
}
