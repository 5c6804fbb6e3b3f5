import { runStorageConformance } from "@cosync/testing";
import { createMemoryStorage, createMemoryStore } from "./memory-storage.js";

runStorageConformance("memory", async () => {
  const store = createMemoryStore();
  return { storage: createMemoryStorage({ store }), reopen: async () => createMemoryStorage({ store }), cleanup: async () => {} };
});
