// The sync indicator: synced, N unsynced changes, or offline (with what is waiting to be sent).
import type { CoId, LocalNode } from "@cosync/core";
import { type SyncStatus, syncStatusOf, useNode, watchSyncStatus } from "@cosync/react";
import { type ReactNode, useEffect, useState } from "react";

interface SyncState {
  readonly status: SyncStatus;
  /** Values holding changes no server acknowledged yet. */
  readonly unsynced: number;
}

// Local writes made offline send no message, so the status is also looked at on a short timer.
const REFRESH_MS = 250;

/**
 * Offline, the count includes the marks persisted in storage: after a reload without a server the
 * node restores them only once a server connects, but they are still waiting to be sent.
 */
async function syncStateOf(node: LocalNode): Promise<SyncState> {
  const status = syncStatusOf(node);
  const ids = new Set<CoId>(node.syncManager.unsynced.ids());
  if (status === "offline" && node.storage !== undefined) {
    for (const { id } of await node.storage.listUnsynced()) ids.add(id);
  }
  return { status, unsynced: ids.size };
}

function useSyncState(): SyncState {
  const node = useNode();
  const [state, setState] = useState<SyncState>({ status: syncStatusOf(node), unsynced: 0 });
  useEffect(() => {
    let stopped = false;
    let running = false;
    const refresh = () => {
      if (running) return;
      running = true;
      void syncStateOf(node)
        .then((next) => {
          if (!stopped) setState((previous) => (previous.status === next.status && previous.unsynced === next.unsynced ? previous : next));
        })
        .finally(() => {
          running = false;
        });
    };
    const unwatch = watchSyncStatus(node, refresh);
    const timer = setInterval(refresh, REFRESH_MS);
    return () => {
      stopped = true;
      unwatch();
      clearInterval(timer);
    };
  }, [node]);
  return state;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** Always on screen: where this device stands with the sync server. */
export function SyncIndicator(): ReactNode {
  const { status, unsynced } = useSyncState();
  let label: string;
  if (status === "offline") label = unsynced > 0 ? `Offline · ${plural(unsynced, "unsynced change")}` : "Offline";
  else if (status === "unsynced" && unsynced > 0) label = plural(unsynced, "unsynced change");
  else label = status === "unsynced" ? "Syncing…" : "Synced";
  return (
    <output className={`sync sync-${status}`} data-testid="sync-status" data-status={status} data-unsynced={unsynced} aria-live="polite">
      <span className="dot" aria-hidden="true" />
      {label}
    </output>
  );
}
