import type { LocalNode } from "@cosync/core";
import { loadPortableCryptoProvider } from "@cosync/crypto/portable";
import { type AccountSchema, openAccount, type SecretStore, webStorageSecretStore } from "@cosync/schema";
import { openIndexedDbStorage } from "@cosync/storage-indexeddb";
import { createReconnectingConnection } from "@cosync/transport-ws";
import { type ReactNode, useEffect, useState } from "react";
import { CosyncContext } from "./context.js";

/** How the provider creates a node in the browser. */
export interface BrowserNodeOptions {
  /** The sync server, e.g. `wss://sync.example.com`. */
  readonly peer: string;
  /** The account schema; its migration runs when the account is opened. */
  readonly account: AccountSchema;
  /** The profile name of an account created on first run. */
  readonly name: string;
  /** Where the identity is kept; the browser's `localStorage` by default. */
  readonly secretStore?: SecretStore;
  /** The IndexedDB database; `"cosync"` by default. */
  readonly storageName?: string;
}

export type CosyncProviderProps = {
  readonly children?: ReactNode;
  /** Rendered until the node is ready. */
  readonly fallback?: ReactNode;
  /** Called if the node could not be opened (storage, a corrupt identity). */
  readonly onError?: (error: Error) => void;
} & ({ readonly node: LocalNode; readonly sync?: never } | { readonly sync: BrowserNodeOptions; readonly node?: never });

/**
 * Gives its tree a cosync node: the one passed as `node`, or one it opens in the browser from
 * `sync` — portable (WASM) crypto, IndexedDB storage, a WebSocket that reconnects on its own, and
 * the account restored from (or created and saved to) the secret store, its migration run. A node
 * it opened is closed when the provider unmounts.
 */
export function CosyncProvider(props: CosyncProviderProps): ReactNode {
  const [opened, setOpened] = useState<LocalNode | undefined>(undefined);
  const { sync, onError } = props;
  const given = props.node;

  useEffect(() => {
    if (sync === undefined) return undefined;
    let cancelled = false;
    const stops: (() => Promise<void>)[] = [];
    void (async () => {
      const crypto = await loadPortableCryptoProvider();
      const storage = await openIndexedDbStorage({ name: sync.storageName ?? "cosync" });
      stops.push(() => storage.close());
      const { node } = await openAccount(sync.account, {
        crypto,
        storage,
        name: sync.name,
        secretStore: sync.secretStore ?? webStorageSecretStore(globalThis.localStorage),
        connect: (node) => {
          const connection = createReconnectingConnection({ url: sync.peer, onChannel: (channel) => node.syncManager.addPeer(channel) });
          stops.unshift(() => connection.stop());
        },
      });
      stops.splice(1, 0, () => node.close());
      if (cancelled) return;
      setOpened(node);
    })().catch((error: Error) => {
      if (onError === undefined) throw error;
      onError(error);
    });
    return () => {
      cancelled = true;
      setOpened(undefined);
      void (async () => {
        for (const stop of stops) await stop();
      })();
    };
  }, [sync, onError]);

  const node = given ?? opened;
  if (node === undefined) return props.fallback ?? null;
  return <CosyncContext.Provider value={node}>{props.children}</CosyncContext.Provider>;
}
