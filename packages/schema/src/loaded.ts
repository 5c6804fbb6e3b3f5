// The types of the public surface: what a resolve query may ask for (`Query`), what a load gives
// (`Loaded`), and what a write or create takes (`ValueInit`, `MapInit`). Type-only.
import type { CoId } from "@cosync/core";
import type { z } from "zod";
import type { AccountInstance } from "./account-schema.js";
import type { CoSchema, ItemSchema, OptionalRef, Unloaded } from "./co-schema.js";
import type { CoFeedInstance } from "./feed-schema.js";
import type { GroupInstance } from "./group-schema.js";
import type { CoListInstance } from "./list-schema.js";
import type { CoMapInstance, MapShape } from "./map-schema.js";
import type { CoRecordInstance } from "./record-schema.js";
import type { FileInstance, PlainTextInstance } from "./text-file-schemas.js";

// Conditionals match schemas by their `kind` and data fields, not their classes: matching the
// classes would make their own method signatures (which use these types) circular.
type RefSchema = CoSchema | OptionalRef<CoSchema>;
type Target<F> = F extends { readonly kind: "optional"; readonly inner: infer S } ? S : F;
type RefKeys<Shape> = { [K in keyof Shape]: Shape[K] extends RefSchema ? K : never }[keyof Shape];
type EachQuery<Item> = Item extends RefSchema ? { readonly $each?: Query<Target<Item>> } : never;

/**
 * A resolve query for a schema: `true` loads the value alone; an object names the references to
 * load too (`{ assignee: true }` for a map, `{ $each: … }` for a list, feed or record,
 * `{ root: …, profile: … }` for an account), as deep as it nests.
 */
export type Query<S> =
  | true
  | (S extends { readonly kind: "map"; readonly shape: infer Shape }
      ? { readonly [K in RefKeys<Shape>]?: Query<Target<Shape[K]>> }
      : S extends { readonly kind: "list" | "feed"; readonly item: infer Item }
        ? EachQuery<Item>
        : S extends { readonly kind: "record"; readonly value: infer Item }
          ? EachQuery<Item>
          : S extends { readonly kind: "account"; readonly shape: { readonly profile: infer Profile; readonly root: infer Root } }
            ? { readonly profile?: Query<Profile>; readonly root?: Query<Root> }
              : never);

/** The part of query `Q` for key `K` (undefined when `Q` does not ask for it). */
type SubQuery<Q, K extends PropertyKey> = Q extends object ? (K extends keyof Q ? Exclude<Q[K], undefined> : undefined) : undefined;

/** A reference as read: the loaded instance when the query asked for it, else a stub. */
type RefValue<S, Q> = [Q] extends [undefined] ? Unloaded<S> : [Q] extends [false] ? Unloaded<S> : Loaded<S, Q>;

/** The typed value of a map field, list item, feed item or record value under query `Q`. */
export type ItemValue<F, Q = undefined> = F extends z.ZodType
  ? z.output<F>
  : F extends { readonly kind: "optional"; readonly inner: infer S }
    ? RefValue<S, Q> | undefined
    : F extends CoSchema
      ? RefValue<F, Q>
      : never;

/** An item as read without a query (references as stubs). */
export type ItemOf<F> = ItemValue<F, undefined>;

/** The fields of a loaded map under query `Q`. */
export type MapFields<Shape extends MapShape, Q> = { readonly [K in keyof Shape]: ItemValue<Shape[K], SubQuery<Q, K>> };

/**
 * What loading schema `S` with resolve query `Q` gives: a typed instance whose references are
 * loaded instances as deep as `Q` asks, and stubs (`{ $id, $isLoaded: false }`) elsewhere.
 *
 * @example type TodoListWithAssignees = Loaded<typeof TodoList, { $each: { assignee: true } }>;
 */
export type Loaded<S, Q = true> = S extends { readonly kind: "map"; readonly shape: infer Shape extends MapShape }
  ? CoMapInstance<Shape> & MapFields<Shape, Q>
  : S extends { readonly kind: "list"; readonly item: infer Item extends ItemSchema }
    ? CoListInstance<Item, ItemValue<Item, SubQuery<Q, "$each">>>
    : S extends { readonly kind: "feed"; readonly item: infer Item extends ItemSchema }
      ? CoFeedInstance<Item, ItemValue<Item, SubQuery<Q, "$each">>>
      : S extends { readonly kind: "record"; readonly value: infer Item extends ItemSchema }
        ? CoRecordInstance<Item, ItemValue<Item, SubQuery<Q, "$each">>>
        : S extends { readonly kind: "account"; readonly shape: { readonly profile: infer Profile extends CoSchema; readonly root: infer Root extends CoSchema } }
          ? AccountInstance<Profile, Root> & {
              readonly profile: RefValue<Profile, SubQuery<Q, "profile">> | undefined;
              readonly root: RefValue<Root, SubQuery<Q, "root">> | undefined;
            }
          : S extends { readonly kind: "text" }
            ? PlainTextInstance
            : S extends { readonly kind: "file" }
              ? FileInstance
              : S extends { readonly kind: "group" }
                ? GroupInstance
                : never;

/** An existing value a reference may point to (loaded or a stub). */
export interface InstanceOf<S> {
  readonly $id: CoId;
  readonly $isLoaded: boolean;
  readonly $schema: S;
}

/** What a reference slot takes to create its value inline (in the container's owner group). */
type InlineInit<S> = S extends { readonly kind: "map"; readonly shape: infer Shape extends MapShape }
  ? MapInit<Shape>
  : S extends { readonly kind: "list"; readonly item: infer Item }
    ? readonly ValueInit<Item>[]
    : S extends { readonly kind: "record"; readonly value: infer Item }
      ? Readonly<Record<string, ValueInit<Item>>>
      : S extends { readonly kind: "text" }
        ? string
        : never;

/** What a write takes for an item of schema `F`: JSON as zod's input, a reference as an instance or an inline init. */
export type ValueInit<F> = F extends z.ZodType
  ? z.input<F>
  : F extends { readonly kind: "optional"; readonly inner: infer S }
    ? InstanceOf<S> | InlineInit<S> | undefined | null
    : F extends CoSchema
      ? InstanceOf<F> | InlineInit<F>
      : never;

type OptionalKeys<Shape extends MapShape> = { [K in keyof Shape]: undefined extends ValueInit<Shape[K]> ? K : never }[keyof Shape];
type RequiredKeys<Shape extends MapShape> = Exclude<keyof Shape, OptionalKeys<Shape>>;

/** What `create` takes for a map: its required fields, and any optional ones. */
export type MapInit<Shape extends MapShape> = { readonly [K in RequiredKeys<Shape>]: ValueInit<Shape[K]> } & {
  readonly [K in OptionalKeys<Shape>]?: ValueInit<Shape[K]>;
};
