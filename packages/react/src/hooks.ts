import type { CoId } from "@cosync/core";
import type { CoSchema, Loaded, Query, TreeListener, TreeSubscriptionOptions } from "@cosync/schema";
import { useMemo, useSyncExternalStore } from "react";
import { useNode } from "./context.js";
import { type SyncStatus, syncStatusOf, watchSyncStatus } from "./sync-status.js";

/** What the hooks call on a schema (every `co.*` schema has it, typed by its own query). */
interface Subscribable {
  subscribe(id: CoId, options: TreeSubscriptionOptions<unknown>, listener: TreeListener<unknown>): () => void;
}

/**
 * The deep-loaded tree of `id`, re-rendered after every change anywhere in it: undefined while it
 * loads (or without an id), null if it is unavailable or unauthorized (`onError` hears why).
 * Built on useSyncExternalStore: one subscription per mounted component, released on unmount.
 */
export function useCoState<S extends CoSchema, const Q extends Query<S> = true>(
  schema: S,
  id: CoId | undefined,
  options?: { readonly resolve?: Q; readonly onError?: (error: Error) => void },
): Loaded<S, Q> | undefined | null {
  const node = useNode();
  const resolveKey = JSON.stringify(options?.resolve ?? true);
  const onError = options?.onError;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the query is compared by value (resolveKey), not identity
  const store = useMemo(() => {
    let snapshot: Loaded<S, Q> | undefined | null;
    return {
      subscribe(changed: () => void): () => void {
        if (id === undefined) return () => {};
        const resolve = JSON.parse(resolveKey) as unknown;
        const subscribeOptions = {
          loadAs: node,
          resolve,
          onError: (error: Error) => {
            snapshot = null;
            onError?.(error);
            changed();
          },
        };
        return (schema as unknown as Subscribable).subscribe(id, subscribeOptions, (value) => {
          snapshot = value as Loaded<S, Q>;
          changed();
        });
      },
      getSnapshot: () => snapshot,
    };
  }, [schema, id, node, resolveKey]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}

/** This node's account, deep-loaded with `resolve` (see useCoState). */
export function useAccount<S extends CoSchema & { readonly kind: "account" }, const Q extends Query<S> = true>(
  schema: S,
  options?: { readonly resolve?: Q; readonly onError?: (error: Error) => void },
): Loaded<S, Q> | undefined | null {
  const node = useNode();
  return useCoState<S, Q>(schema, node.accountId, options);
}

/** The node's sync status: "synced", "unsynced" (local changes not yet acknowledged) or "offline". */
export function useSyncStatus(): SyncStatus {
  const node = useNode();
  const store = useMemo(
    () => ({
      subscribe: (changed: () => void) => watchSyncStatus(node, changed),
      getSnapshot: () => syncStatusOf(node),
    }),
    [node],
  );
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
