import type { CoId, CoMapView, CoValueHandle, GroupView, JsonValue, LocalNode } from "@cosync/core";
import {
  type ChildRef,
  CoSchema,
  checkItem,
  decodeItem,
  encodeItem,
  type ItemSchema,
  itemRef,
  type LoadOptions,
  refTarget,
} from "./co-schema.js";
import type { TreeListener, TreeSubscriptionOptions } from "./deep-load.js";
import { pathJoin, SchemaError } from "./errors.js";
import type { Loaded, MapInit, Query, ValueInit } from "./loaded.js";
import { type Owner, ownerGroup } from "./owner.js";
import { toPlainJson } from "./plain-json.js";

/** The fields of a `co.map`: JSON fields as zod schemas, references as CoValue schemas. */
export type MapShape = Record<string, ItemSchema>;

/**
 * A `co.map({ … })` schema. Stored as jazz-tools stores it: a CoMap with header meta `null`, one
 * key per field, JSON values as they are, references as the referenced CoValue's id.
 */
export class CoMapSchema<Shape extends MapShape = MapShape> extends CoSchema {
  readonly kind = "map";
  readonly #Instance: new (schema: CoMapSchema<Shape>, view: CoMapView, children: ReadonlyMap<CoId, unknown>) => CoMapInstance<Shape>;

  constructor(readonly shape: Shape) {
    super();
    for (const key of Object.keys(shape)) {
      if (key.startsWith("$")) throw new TypeError(`co.map: field "${key}" may not start with "$" (reserved for instance methods)`);
    }
    // One class per schema, with a getter per field on its prototype.
    this.#Instance = class extends CoMapInstance<Shape> {};
    for (const key of Object.keys(shape)) {
      Object.defineProperty(this.#Instance.prototype, key, {
        get(this: CoMapInstance<Shape>) {
          return this.$get(key);
        },
        enumerable: true,
      });
    }
  }

  loadView(node: LocalNode, id: CoId): Promise<CoValueHandle> {
    return node.loadMap(id);
  }

  override refsOf(view: CoValueHandle, query: unknown): ChildRef[] {
    const map = view as CoMapView;
    const refs: ChildRef[] = [];
    for (const [key, fieldQuery] of Object.entries(query as Record<string, unknown>)) {
      const field = this.shape[key];
      if (field === undefined || refTarget(field) === undefined) throw new TypeError(`resolve: "${key}" is not a reference field of this co.map`);
      const ref = itemRef(field, map.get(key), fieldQuery, `.${key}`);
      if (ref !== undefined) refs.push(ref);
    }
    return refs;
  }

  wrap(view: CoValueHandle, children: ReadonlyMap<CoId, unknown>): CoMapInstance<Shape> {
    return new this.#Instance(this, view as CoMapView, children);
  }

  override checkInit(init: unknown, path: string): void {
    if (typeof init !== "object" || init === null || Array.isArray(init)) throw new SchemaError(path || "init", "an object of the map's fields", init);
    for (const key of Object.keys(init)) {
      if (!(key in this.shape)) throw new SchemaError(pathJoin(path, key), "no such field (the schema has none of that name)", (init as Record<string, unknown>)[key]);
    }
    for (const [key, field] of Object.entries(this.shape)) checkItem(field, (init as Record<string, unknown>)[key], pathJoin(path, key));
  }

  override createChecked(init: unknown, owner: GroupView): CoMapInstance<Shape> {
    const view = owner.createMap();
    const children = new Map<CoId, unknown>();
    for (const [key, field] of Object.entries(this.shape)) {
      const value = (init as Record<string, unknown>)[key];
      if (value === undefined) continue;
      const encoded = encodeItem(field, value, owner, children);
      if (encoded !== undefined) view.set(key, encoded);
    }
    return this.wrap(view, children);
  }

  /** Creates a map owned by `options.owner`, after checking every field (a bad one writes nothing). */
  create(init: MapInit<Shape>, options: { readonly owner: Owner }): Loaded<this, true> {
    const owner = ownerGroup(options?.owner);
    this.checkInit(init, "");
    return this.createChecked(init, owner) as unknown as Loaded<this, true>;
  }

  /** Deep-loads a map: resolves with the typed tree `resolve` asks for. */
  load<const Q extends Query<this> = true>(id: CoId, options: LoadOptions<Q>): Promise<Loaded<this, Q>> {
    return this.loadWith(id, options) as Promise<Loaded<this, Q>>;
  }

  /** Subscribes to the deep-loaded tree; returns the function that releases every inner subscription. */
  subscribe<const Q extends Query<this> = true>(id: CoId, options: TreeSubscriptionOptions<Q>, listener: TreeListener<Loaded<this, Q>>): () => void {
    return this.subscribeWith(id, options, listener as TreeListener<unknown>);
  }
}

/**
 * A loaded map: fields read as typed values (resolved references as instances, others as
 * `{ $id, $isLoaded: false }`), written through `$set` / `$delete`, each checked first.
 */
export class CoMapInstance<Shape extends MapShape = MapShape> {
  readonly $isLoaded = true;
  readonly #view: CoMapView;
  readonly #children: Map<CoId, unknown>;

  constructor(
    readonly $schema: CoMapSchema<Shape>,
    view: CoMapView,
    children: ReadonlyMap<CoId, unknown>,
  ) {
    this.#view = view;
    this.#children = new Map(children);
    Object.defineProperty(this, "$schema", { enumerable: false });
    Object.defineProperty(this, "$isLoaded", { enumerable: false });
  }

  get $id(): CoId {
    return this.#view.id;
  }
  /** The core view underneath (raw JSON, transactions, sync). */
  get $view(): CoMapView {
    return this.#view;
  }
  get $owner(): GroupView {
    return ownerOf(this.#view);
  }

  /** The typed value of a field. */
  $get<K extends keyof Shape & string>(key: K): unknown {
    const field = this.$schema.shape[key];
    if (field === undefined) return undefined;
    const raw = this.#view.get(key);
    return decodeItem(field, raw === null && refTarget(field) !== undefined ? undefined : raw, this.#children);
  }

  /** Sets a field, after checking the value against its schema (a reference may be an init to create inline). */
  $set<K extends keyof Shape & string>(key: K, value: ValueInit<Shape[K]>): void {
    const field = this.$schema.shape[key];
    if (field === undefined) throw new SchemaError(key, "a field of this co.map", value);
    checkItem(field, value, key);
    const encoded = encodeItem(field, value, this.$owner, this.#children);
    if (encoded === undefined) this.#view.delete(key);
    else this.#view.set(key, encoded);
  }

  /** Deletes an optional field (a required one throws). */
  $delete<K extends keyof Shape & string>(key: K): void {
    const field = this.$schema.shape[key];
    if (field === undefined) throw new SchemaError(key, "a field of this co.map", undefined);
    checkItem(field, undefined, key);
    this.#view.delete(key);
  }

  /** The fields as plain JSON (resolved references nested, others as ids). */
  toJSON(): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    for (const key of Object.keys(this.$schema.shape)) {
      const value = toPlainJson(this.$get(key));
      if (value !== undefined) out[key] = value;
    }
    return out;
  }
}

/** The owner group of a value created by a schema (always owned by a group). */
export function ownerOf(view: CoValueHandle): GroupView {
  const ruleset = view.header.ruleset;
  const group = ruleset.type === "ownedByGroup" ? view.node.getGroup(ruleset.group) : undefined;
  if (group === undefined) throw new Error(`${view.id} has no owner group in memory`);
  return group;
}
