import type { CoId, CoValueHandle, GroupView, JsonValue, LocalNode } from "@cosync/core";
import type { z } from "zod";
import { subscribeTree, type TreeListener, type TreeSubscriptionOptions, loadTree } from "./deep-load.js";
import { pathJoin, SchemaError } from "./errors.js";

/** The kinds of CoValue a schema can describe. */
export type CoKind = "map" | "record" | "list" | "feed" | "text" | "file" | "group" | "account";

/** A reference the deep loader follows: the child's id, its schema and the query to load it with. */
export interface ChildRef {
  readonly id: CoId;
  readonly schema: CoSchema;
  readonly query: unknown;
  /** Where it sits in its parent, for errors: `.assignee`, `[3]`. */
  readonly at: string;
}

/** Options of a deep load: whose node loads, and how deep. */
export interface LoadOptions<Q> {
  readonly loadAs: LocalNode;
  readonly resolve?: Q;
}

/**
 * The base of every CoValue schema. A schema knows how to load its kind of value, which children
 * a resolve query asks for, how to wrap a loaded value in a typed instance, and how to check and
 * create an init value. Instances carry their schema as `$schema`.
 */
export abstract class CoSchema {
  abstract readonly kind: CoKind;

  /** The core view of `id`, which must be of this schema's kind (TypeError if not). */
  abstract loadView(node: LocalNode, id: CoId): Promise<CoValueHandle>;

  /** The children `query` asks to load, from the view's current content. */
  refsOf(_view: CoValueHandle, _query: unknown): ChildRef[] {
    return [];
  }

  /** A typed instance over `view`, reading resolved children from `children`. */
  abstract wrap(view: CoValueHandle, children: ReadonlyMap<CoId, unknown>): unknown;

  /** Throws a SchemaError if `init` cannot create a value of this schema (writes nothing). */
  checkInit(init: unknown, path: string): void {
    throw new SchemaError(path, `an existing ${this.kind} (it can't be created inline)`, init);
  }

  /** Creates a value from an init already checked by `checkInit`. */
  createChecked(_init: unknown, _owner: GroupView): { readonly $id: CoId } {
    throw new Error(`a ${this.kind} can't be created inline`);
  }

  /** True if `value` is an instance of this schema's kind (what a reference field accepts). */
  isInstance(value: unknown): value is { readonly $id: CoId; readonly $schema: CoSchema } {
    return typeof value === "object" && value !== null && (value as { $schema?: CoSchema }).$schema?.kind === this.kind;
  }

  /** This schema as an optional reference (a field that may hold nothing). */
  optional(): OptionalRef<this> {
    return new OptionalRef(this);
  }

  /** Deep-loads `id`: resolves once every value `resolve` asks for is loaded and readable. */
  protected loadWith(id: CoId, options: LoadOptions<unknown>): Promise<unknown> {
    return loadTree(options.loadAs, this, id, options.resolve ?? true);
  }

  /** Calls `listener` with the resolved tree once it is consistent, and after every change in it. */
  protected subscribeWith(id: CoId, options: TreeSubscriptionOptions<unknown>, listener: TreeListener<unknown>): () => void {
    return subscribeTree(this, id, options, listener);
  }
}

/** A reference field that may be empty: `Person.optional()`. Stored as `null` when empty, as jazz-tools does. */
export class OptionalRef<S extends CoSchema> {
  readonly kind = "optional";
  constructor(readonly inner: S) {}
}

/** What a map field, list item, feed item or record value can be. */
export type ItemSchema = z.ZodType | CoSchema | OptionalRef<CoSchema>;

/** The CoValue schema of a reference item, or undefined for a JSON item. */
export function refTarget(item: ItemSchema): { readonly schema: CoSchema; readonly optional: boolean } | undefined {
  if (item instanceof CoSchema) return { schema: item, optional: false };
  if (item instanceof OptionalRef) return { schema: item.inner, optional: true };
  return undefined;
}

/** Checks one value against its item schema, without writing; throws a SchemaError naming `path`. */
export function checkItem(item: ItemSchema, value: unknown, path: string): void {
  const ref = refTarget(item);
  if (ref === undefined) {
    checkJson(item as z.ZodType, value, path);
    return;
  }
  if (value === undefined || value === null) {
    if (ref.optional) return;
    throw new SchemaError(path, `a ${ref.schema.kind} (the reference is required)`, value);
  }
  if (ref.schema.isInstance(value)) return;
  if (typeof value === "object" && "$schema" in value) {
    throw new SchemaError(path, `a ${ref.schema.kind}`, `a ${(value as { $schema: CoSchema }).$schema.kind}`);
  }
  ref.schema.checkInit(value, path);
}

function checkJson(schema: z.ZodType, value: unknown, path: string): void {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? path : issue.path.reduce<string>((at, key) => pathJoin(at, key as string | number), path);
    const expected = issue !== undefined && "expected" in issue ? String(issue.expected) : (issue?.message ?? "a valid value");
    throw new SchemaError(where, expected, issue === undefined ? value : valueAt(value, issue.path));
  }
  if (parsed.data !== undefined && !isJson(parsed.data)) throw new SchemaError(path, "a JSON value (the schema produced something else)", parsed.data);
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) at = typeof at === "object" && at !== null ? (at as Record<PropertyKey, unknown>)[key] : undefined;
  return at;
}

function isJson(value: unknown): value is JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJson);
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).every((inner) => inner === undefined || isJson(inner));
  }
  return false;
}

/**
 * The stored form of a checked value: JSON as zod parsed it, a reference as the CoValue's id
 * (creating an inline init in `owner` first), an empty optional reference as null.
 */
export function encodeItem(item: ItemSchema, value: unknown, owner: GroupView, children?: Map<CoId, unknown>): JsonValue | undefined {
  const ref = refTarget(item);
  if (ref === undefined) return (item as z.ZodType).parse(value) as JsonValue | undefined;
  if (value === undefined || value === null) return null;
  // The container reads a loaded or just-created child as loaded, without a deep load.
  const child = ref.schema.isInstance(value) ? value : ref.schema.createChecked(value, owner);
  if ((child as { $isLoaded?: boolean }).$isLoaded === true) children?.set(child.$id, child);
  return child.$id;
}

/** A stub for a reference the query did not resolve: its id, and that it is not loaded. */
export interface Unloaded<S = CoSchema> {
  readonly $id: CoId;
  readonly $isLoaded: false;
  readonly $schema: S;
}

/** The typed value of a stored item: JSON as is, a reference as its resolved instance or a stub. */
export function decodeItem(item: ItemSchema, raw: JsonValue | undefined, children: ReadonlyMap<CoId, unknown>): unknown {
  const ref = refTarget(item);
  if (ref === undefined) return raw;
  if (typeof raw !== "string") return undefined;
  const child = children.get(raw as CoId);
  if (child !== undefined) return child;
  const stub: Unloaded = { $id: raw as CoId, $isLoaded: false, $schema: ref.schema };
  return stub;
}

/** The child a query asks to load for a stored item; undefined for JSON items, empty optionals or no query. */
export function itemRef(item: ItemSchema, raw: JsonValue | undefined, query: unknown, at: string): ChildRef | undefined {
  const ref = refTarget(item);
  if (ref === undefined || query === undefined || query === false) return undefined;
  if (raw === undefined || raw === null) {
    if (ref.optional) return undefined;
    throw new SchemaError(at, `a reference to a ${ref.schema.kind}`, raw);
  }
  if (typeof raw !== "string" || !raw.startsWith("co_z")) throw new SchemaError(at, `a reference to a ${ref.schema.kind}`, raw);
  return { id: raw as CoId, schema: ref.schema, query, at };
}

