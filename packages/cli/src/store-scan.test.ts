import { createAccountNode, createMemoryStorage, createMemoryStore } from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { expect, test } from "vitest";
import type { OperatorStore } from "./open-store.js";
import { scanStore } from "./store-scan.js";

// Found by the cli bench: a profile group whose id sorted before its account's was verified before
// the account's header (which names the signer of the group's sessions) had been seen.
test("scanStore: accounts come first, then groups, then the rest, whatever their ids", async () => {
  const crypto = await loadNodeCryptoProvider();
  for (let attempt = 0; attempt < 8; attempt++) {
    const store = createMemoryStore();
    const node = createAccountNode({ crypto, storage: createMemoryStorage({ store }), name: "scan", gc: false });
    const group = node.createGroup();
    group.createMap({ a: 1 });
    group.createList();
    await node.close();
    const storage = createMemoryStorage({ store }) as OperatorStore["storage"];
    const { values } = await scanStore(storage);
    const kinds = await Promise.all(
      values.map(async ({ id }) => {
        const header = (await storage.summary(id))?.header;
        if (header?.ruleset.type !== "group") return 2;
        return header.meta?.type === "account" ? 0 : 1;
      }),
    );
    expect(kinds).toEqual([0, 1, 1, 2, 2, 2]);
  }
});
