import { type CoId, type CoValueHandle, type LocalNode, PermissionError, type Role, UnavailableError } from "@cosync/core";
import type { CoSchema } from "./co-schema.js";

/** Options of a deep subscription: whose node, how deep, and who hears of a failed resolve. */
export interface TreeSubscriptionOptions<Q> {
  readonly loadAs: LocalNode;
  readonly resolve?: Q;
  /**
   * Hears why the tree could not be resolved (an UnavailableError or PermissionError naming the
   * value and where it sits). Without it, the node's logger does. The subscription stays: a later
   * change (the value arrives, access is granted) resolves the tree and calls the listener.
   */
  readonly onError?: (error: Error) => void;
}

export type TreeListener<T> = (value: T) => void;

interface ResolveContext {
  readonly node: LocalNode;
  /** Called with every value (and owner group) the resolve reads, as soon as it is loaded. */
  readonly saw: (id: CoId) => void;
}

const READING_ROLES: ReadonlySet<Role | undefined> = new Set<Role | undefined>(["reader", "writer", "manager", "admin"]);

/** Deep-loads `id` as `schema` with `query`; rejects with UnavailableError or PermissionError. */
export function loadTree(node: LocalNode, schema: CoSchema, id: CoId, query: unknown): Promise<unknown> {
  return resolveValue({ node, saw: () => {} }, schema, id, query, "");
}

async function resolveValue(ctx: ResolveContext, schema: CoSchema, id: CoId, query: unknown, path: string): Promise<unknown> {
  let view: CoValueHandle;
  try {
    view = await schema.loadView(ctx.node, id);
  } catch (error) {
    ctx.saw(id); // a subscription hears when it arrives
    if (error instanceof UnavailableError && path !== "") throw new UnavailableError(id, `${error.reason} (at ${path} of the tree)`);
    throw error;
  }
  ctx.saw(id);
  await assertReadable(ctx, view, path);
  const children = new Map<CoId, unknown>();
  // Children load asynchronously, and the value may change meanwhile (a remote edit adds an
  // item): resolve until every reference it holds now is among the loaded children.
  for (let round = 0; ; round++) {
    const missing = (query === true ? [] : schema.refsOf(view, query)).filter((ref) => !children.has(ref.id));
    if (missing.length === 0) return schema.wrap(view, children);
    if (round === MAX_ROUNDS) throw new UnavailableError(id, `it kept changing while its references loaded (at ${path || "the root"})`);
    await Promise.all(
      missing.map(async (ref) => {
        children.set(ref.id, await resolveValue(ctx, ref.schema, ref.id, ref.query, `${path}${ref.at}`));
      }),
    );
  }
}

/** How many times a value's children are re-resolved before a load gives up on a value that keeps changing. */
const MAX_ROUNDS = 20;

/** Refuses a value owned by a group that gives us no reading role (its content would read as empty). */
async function assertReadable(ctx: ResolveContext, view: CoValueHandle, path: string): Promise<void> {
  const ruleset = view.header.ruleset;
  if (ruleset.type !== "ownedByGroup") return;
  const group = await ctx.node.loadGroup(ruleset.group);
  ctx.saw(group.id);
  const me = ctx.node.accountId ?? ctx.node.agentId;
  const role = group.roleOf(me);
  if (READING_ROLES.has(role) || READING_ROLES.has(group.roleOf("everyone"))) return;
  const why = role === "revoked" ? "was removed from" : role === undefined ? "is not a member of" : `is only ${role} in`;
  const where = path === "" ? "" : ` (at ${path} of the tree)`;
  throw new PermissionError(`${view.id}${where} is unauthorized: ${me} ${why} its owner group ${group.id}`);
}

/**
 * Subscribes to a deep-loaded tree: resolves it, calls `listener` with it, and resolves again
 * (once per burst of changes) whenever any value in it, or an owner group, changes. A resolve that
 * a newer change overtook is dropped, so the listener only sees consistent trees. The returned
 * function releases every inner subscription.
 */
export function subscribeTree<T>(schema: CoSchema, id: CoId, options: TreeSubscriptionOptions<unknown>, listener: TreeListener<T>): () => void {
  const node = options.loadAs;
  const query = options.resolve ?? true;
  const stops = new Map<CoId, () => void>();
  let generation = 0;
  let scheduled = false;
  let closed = false;

  const onChange = () => {
    if (scheduled || closed) return;
    scheduled = true;
    void Promise.resolve().then(() => {
      scheduled = false;
      refresh();
    });
  };
  const watch = (watched: CoId) => {
    if (closed || stops.has(watched)) return;
    const handle = node.get(watched);
    if (handle !== undefined) {
      stops.set(watched, handle.subscribe(onChange));
      return;
    }
    // Not here (yet): the entry's listeners hear when it becomes available.
    const entry = node.entry(watched);
    entry.listeners.add(onChange);
    stops.set(watched, () => entry.listeners.delete(onChange));
  };
  const prune = (seen: ReadonlySet<CoId>) => {
    for (const [watched, stop] of stops) {
      if (seen.has(watched)) continue;
      stop();
      stops.delete(watched);
    }
  };
  const refresh = () => {
    if (closed) return;
    const mine = ++generation;
    const seen = new Set<CoId>();
    const saw = (seenId: CoId) => {
      seen.add(seenId);
      watch(seenId);
    };
    resolveValue({ node, saw }, schema, id, query, "").then(
      (value) => {
        if (closed || mine !== generation) return;
        prune(seen);
        listener(value as T);
      },
      (error: Error) => {
        if (closed || mine !== generation) return;
        prune(seen);
        if (options.onError !== undefined) options.onError(error);
        else node.logger.warn({ id, error: error.message }, "a subscribed tree could not be resolved");
      },
    );
  };

  refresh();
  return () => {
    closed = true;
    for (const stop of stops.values()) stop();
    stops.clear();
  };
}
