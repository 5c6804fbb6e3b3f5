import type { CoId, CoMapView, CoValueHandle, GroupView, LocalNode } from "@cosync/core";
import { type ChildRef, CoSchema, checkItem, decodeItem, encodeItem, itemRef, type LoadOptions } from "./co-schema.js";
import type { TreeListener, TreeSubscriptionOptions } from "./deep-load.js";
import { SchemaError } from "./errors.js";
import type { Loaded, Query, ValueInit } from "./loaded.js";

/** Runs when an account is opened (first run included): e.g. creates `root` if it is missing. */
export type Migration<A> = (account: A, node: LocalNode) => void | Promise<void>;

/**
 * A `co.account({ profile, root })` schema. An account is a cojson account (a group with header
 * meta `{ type: "account" }`); `profile` (readable by everyone) and `root` (private app data) are
 * references in its own map, as jazz-tools stores them.
 */
export class AccountSchema<Profile extends CoSchema = CoSchema, Root extends CoSchema = CoSchema> extends CoSchema {
  readonly kind = "account";
  // Private, so schemas with different migrations still assign to `AccountSchema` (a public
  // field typed by its parameter would make the class invariant).
  readonly #migration: Migration<Loaded<AccountSchema<Profile, Root>, true>> | undefined;

  constructor(
    readonly shape: { readonly profile: Profile; readonly root: Root },
    migration?: Migration<Loaded<AccountSchema<Profile, Root>, true>>,
  ) {
    super();
    this.#migration = migration;
  }

  /** The same schema, with a migration run by `migrate` (and so by `openAccount` and the React provider). */
  withMigration(migration: Migration<Loaded<AccountSchema<Profile, Root>, true>>): AccountSchema<Profile, Root> {
    return new AccountSchema(this.shape, migration);
  }

  async loadView(node: LocalNode, id: CoId): Promise<CoValueHandle> {
    const group = await node.loadGroup(id);
    if (group.header.meta?.type !== "account") throw new TypeError(`${id} is a group, not an account`);
    return group;
  }

  override refsOf(view: CoValueHandle, query: unknown): ChildRef[] {
    const map = view.node.getMap(view.id) as CoMapView;
    const refs: ChildRef[] = [];
    for (const [key, fieldQuery] of Object.entries(query as Record<string, unknown>)) {
      if (key !== "profile" && key !== "root") throw new TypeError(`resolve: an account has "profile" and "root", not "${key}"`);
      const raw = map.get(key);
      // An account opened before its migration has no root yet: nothing to load, read as undefined.
      if (raw === undefined || raw === null) continue;
      const ref = itemRef(this.shape[key], raw, fieldQuery, `.${key}`);
      if (ref !== undefined) refs.push(ref);
    }
    return refs;
  }

  wrap(view: CoValueHandle, children: ReadonlyMap<CoId, unknown>): AccountInstance<Profile, Root> {
    return new AccountInstance(this, view as GroupView, children);
  }

  load<const Q extends Query<this> = true>(id: CoId, options: LoadOptions<Q>): Promise<Loaded<this, Q>> {
    return this.loadWith(id, options) as Promise<Loaded<this, Q>>;
  }

  subscribe<const Q extends Query<this> = true>(id: CoId, options: TreeSubscriptionOptions<Q>, listener: TreeListener<Loaded<this, Q>>): () => void {
    return this.subscribeWith(id, options, listener as TreeListener<unknown>);
  }

  /** Runs the migration for `node`'s account (a no-op without one) and returns the account. */
  async migrate(node: LocalNode): Promise<Loaded<this, true>> {
    if (node.accountId === undefined) throw new TypeError("migrate(node): the node acts for no account");
    const account = (await this.load(node.accountId, { loadAs: node })) as Loaded<this, true>;
    await this.#migration?.(account as unknown as Loaded<AccountSchema<Profile, Root>, true>, node);
    return account;
  }
}

/** A loaded account: `profile` and `root` (resolved or stubs), `$set("root", …)`, and its group. */
export class AccountInstance<Profile extends CoSchema = CoSchema, Root extends CoSchema = CoSchema> {
  readonly $isLoaded = true;
  readonly #view: GroupView;
  readonly #children: Map<CoId, unknown>;

  constructor(
    readonly $schema: AccountSchema<Profile, Root>,
    view: GroupView,
    children: ReadonlyMap<CoId, unknown>,
  ) {
    this.#view = view;
    this.#children = new Map(children);
  }

  get $id(): CoId {
    return this.#view.id;
  }
  /** The account as a group: values it owns directly, its roles. */
  get $group(): GroupView {
    return this.#view;
  }
  get $node(): LocalNode {
    return this.#view.node;
  }
  get profile(): unknown {
    return this.#read("profile");
  }
  get root(): unknown {
    return this.#read("root");
  }

  #read(key: "profile" | "root"): unknown {
    const raw = (this.#view.node.getMap(this.$id) as CoMapView).get(key);
    return raw === undefined || raw === null ? undefined : decodeItem(this.$schema.shape[key], raw, this.#children);
  }

  /** Sets `root` or `profile` (an instance, or an init created in a new group this account administers). */
  $set<K extends "profile" | "root">(key: K, value: ValueInit<K extends "root" ? Root : Profile>): void {
    const field = this.$schema.shape[key];
    if (field === undefined) throw new SchemaError(key, `"profile" or "root"`, key);
    checkItem(field, value, key);
    const owner = field.isInstance(value) ? this.#view : this.#view.node.createGroup();
    const encoded = encodeItem(field, value, owner, this.#children);
    if (encoded !== undefined) (this.#view.node.getMap(this.$id) as CoMapView).set(key, encoded);
  }

  toJSON(): string {
    return this.$id;
  }
}
