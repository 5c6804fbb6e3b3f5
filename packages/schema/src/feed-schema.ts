import type { CoId, CoStreamView, CoValueHandle, GroupView, JsonValue, LocalNode, SessionOwner } from "@cosync/core";
import { type ChildRef, CoSchema, checkItem, decodeItem, encodeItem, type ItemSchema, itemRef, type LoadOptions } from "./co-schema.js";
import type { TreeListener, TreeSubscriptionOptions } from "./deep-load.js";
import { SchemaError } from "./errors.js";
import { eachQuery } from "./list-schema.js";
import type { ItemOf, Loaded, Query, ValueInit } from "./loaded.js";
import { ownerOf } from "./map-schema.js";
import { type Owner, ownerGroup } from "./owner.js";

/** One item of a feed: its value, who wrote it and when. */
export interface FeedEntry<T> {
  readonly value: T;
  readonly by: SessionOwner;
  readonly madeAt: number;
}

/** A `co.feed(item)` schema: a CoStream (header meta `null`) each account appends to, as jazz-tools' CoFeed. */
export class CoFeedSchema<Item extends ItemSchema = ItemSchema> extends CoSchema {
  readonly kind = "feed";

  constructor(readonly item: Item) {
    super();
  }

  loadView(node: LocalNode, id: CoId): Promise<CoValueHandle> {
    return node.loadStream(id);
  }

  override refsOf(view: CoValueHandle, query: unknown): ChildRef[] {
    const each = eachQuery(query, "co.feed", this.item);
    if (each === undefined) return [];
    const refs: ChildRef[] = [];
    for (const [index, entry] of (view as CoStreamView).content.items().entries()) {
      const ref = itemRef(this.item, entry.value, each, `[${index}]`);
      if (ref !== undefined) refs.push(ref);
    }
    return refs;
  }

  wrap(view: CoValueHandle, children: ReadonlyMap<CoId, unknown>): CoFeedInstance<Item> {
    return new CoFeedInstance(this, view as CoStreamView, children);
  }

  /** Creates an empty feed owned by `options.owner`. */
  create(options: { readonly owner: Owner }): Loaded<this, true> {
    return this.wrap(ownerGroup(options?.owner).createStream(), new Map()) as unknown as Loaded<this, true>;
  }

  override checkInit(init: unknown, path: string): void {
    if (!Array.isArray(init) || init.length > 0) throw new SchemaError(path || "init", "an empty array (a feed starts empty)", init);
  }
  override createChecked(_init: unknown, owner: GroupView): CoFeedInstance<Item> {
    return this.wrap(owner.createStream(), new Map());
  }

  load<const Q extends Query<this> = true>(id: CoId, options: LoadOptions<Q>): Promise<Loaded<this, Q>> {
    return this.loadWith(id, options) as Promise<Loaded<this, Q>>;
  }

  subscribe<const Q extends Query<this> = true>(id: CoId, options: TreeSubscriptionOptions<Q>, listener: TreeListener<Loaded<this, Q>>): () => void {
    return this.subscribeWith(id, options, listener as TreeListener<unknown>);
  }
}

/** A loaded feed: every entry in order, the latest per author, and `$push`. */
export class CoFeedInstance<Item extends ItemSchema = ItemSchema, Out = ItemOf<Item>> {
  readonly $isLoaded = true;
  readonly #view: CoStreamView;
  readonly #children: Map<CoId, unknown>;

  constructor(
    readonly $schema: CoFeedSchema<Item>,
    view: CoStreamView,
    children: ReadonlyMap<CoId, unknown>,
  ) {
    this.#view = view;
    this.#children = new Map(children);
  }

  get $id(): CoId {
    return this.#view.id;
  }
  get $view(): CoStreamView {
    return this.#view;
  }
  get $owner(): GroupView {
    return ownerOf(this.#view);
  }

  /** Every entry of every author, oldest first. */
  entries(): FeedEntry<Out>[] {
    return this.#view.content.items().map((item) => this.#entry(item.value, item.author, item.madeAt));
  }
  /** The latest entry of `author` (an account id), across its sessions. */
  latestBy(author: SessionOwner): FeedEntry<Out> | undefined {
    const item = this.#view.content.lastItemBy(author);
    return item === undefined ? undefined : this.#entry(item.value, item.author, item.madeAt);
  }
  /** The latest entry this node's account wrote. */
  get byMe(): FeedEntry<Out> | undefined {
    return this.latestBy(this.#view.node.accountId ?? this.#view.node.agentId);
  }

  #entry(value: JsonValue, by: SessionOwner, madeAt: number): FeedEntry<Out> {
    return { value: decodeItem(this.$schema.item, value, this.#children) as Out, by, madeAt };
  }

  /** Appends an item, checked first. */
  $push(item: ValueInit<Item>): void {
    checkItem(this.$schema.item, item, "item");
    this.#view.push(encodeItem(this.$schema.item, item, this.$owner, this.#children) ?? null);
  }

  toJSON(): JsonValue[] {
    return this.entries().map((entry) => {
      const value = entry.value as unknown;
      return typeof value === "object" && value !== null && "$id" in value ? (value as { $id: string }).$id : (value as JsonValue);
    });
  }
}
