import { type AgentSecret, type CoId, createAccountNode, createLocalNode, type LocalNode, type LocalNodeOptions, parseCoId } from "@cosync/core";
import type { AccountSchema } from "./account-schema.js";

/** What identifies an account on a device: its id and its agent secret. Whoever holds the secret *is* the account. */
export interface StoredIdentity {
  readonly accountId: CoId;
  readonly agentSecret: AgentSecret;
}

/**
 * Where an app keeps the identity between runs (a keychain, the browser's storage, a file only
 * its owner reads). cosync never stores the secret on its own.
 */
export interface SecretStore {
  load(): Promise<StoredIdentity | undefined>;
  save(identity: StoredIdentity): Promise<void>;
  clear(): Promise<void>;
}

/** A secret store in memory (tests, or an app that logs in each run). */
export function memorySecretStore(initial?: StoredIdentity): SecretStore {
  let identity = initial;
  return {
    load: async () => identity,
    save: async (next) => {
      identity = next;
    },
    clear: async () => {
      identity = undefined;
    },
  };
}

/** The part of the Web Storage API a secret store needs (`localStorage` has it). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** A secret store over `localStorage` (or any storage with its API), under `key`. */
export function webStorageSecretStore(storage: KeyValueStorage, key = "cosync-identity"): SecretStore {
  return {
    load: async () => {
      const text = storage.getItem(key);
      if (text === null) return undefined;
      const parsed = JSON.parse(text) as Partial<StoredIdentity>;
      if (typeof parsed.agentSecret !== "string") throw new TypeError(`${key}: the stored identity has no agentSecret`);
      return { accountId: parseCoId(parsed.accountId, `${key}.accountId`), agentSecret: parsed.agentSecret as AgentSecret };
    },
    save: async (identity) => storage.setItem(key, JSON.stringify(identity)),
    clear: async () => storage.removeItem(key),
  };
}

/** Options of `openAccount`: the node's dependencies, the secret store, and the name of a new account. */
export type OpenAccountOptions = Omit<LocalNodeOptions, "accountId" | "agentSecret"> & {
  readonly secretStore: SecretStore;
  /** The profile name of an account created on first run. */
  readonly name: string;
  /** Called with the node before the account is loaded (e.g. to connect it to a server). */
  readonly connect?: (node: LocalNode) => void;
};

/**
 * Opens this device's account: restores it from the secret store (loading it from storage, or a
 * server `connect` adds), or creates it and saves its identity; then runs the schema's migration.
 */
export async function openAccount<S extends AccountSchema>(schema: S, options: OpenAccountOptions): Promise<{ node: LocalNode; created: boolean }> {
  const { secretStore, name, connect, ...nodeOptions } = options;
  const saved = await secretStore.load();
  const node = saved === undefined ? createAccountNode({ ...nodeOptions, name }) : createLocalNode({ ...nodeOptions, ...saved });
  if (saved === undefined) await secretStore.save({ accountId: node.accountId as CoId, agentSecret: node.agentSecret });
  connect?.(node);
  await schema.migrate(node);
  return { node, created: saved === undefined };
}
