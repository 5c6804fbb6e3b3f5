import type { SyncEvents } from "@cosync/core";

/**
 * Whether storage works, as the sync path last saw it: a failure (a read or append that threw)
 * makes the server not ready until an append commits again. /ready answers 503 with the reason
 * meanwhile, so a load balancer stops sending clients to a server whose storage fails.
 */
export class StorageHealth {
  #failure: string | undefined;

  /** Why storage is failing, or undefined if the last storage call on the sync path worked. */
  get problem(): string | undefined {
    return this.#failure;
  }

  failed(error: unknown): void {
    this.#failure = error instanceof Error ? error.message : String(error);
  }

  succeeded(): void {
    this.#failure = undefined;
  }

  /** `events` with storage outcomes also recorded here. */
  observe(events: SyncEvents): SyncEvents {
    return {
      ...events,
      storageFailed: (error) => {
        this.failed(error);
        events.storageFailed?.(error);
      },
      storageSucceeded: () => {
        this.succeeded();
        events.storageSucceeded?.();
      },
    };
  }
}
