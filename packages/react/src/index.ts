// The public surface of @cosync/react. Named re-exports only.
export { CosyncContext, useNode } from "./context.js";
export { useAccount, useCoState, useSyncStatus } from "./hooks.js";
export { type BrowserNodeOptions, CosyncProvider, type CosyncProviderProps } from "./provider.js";
export { type SyncStatus, syncStatusOf, watchSyncStatus } from "./sync-status.js";
