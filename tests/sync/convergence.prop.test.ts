// Convergence under a hostile network: three clients and a server over in-memory links that are
// held (partitions), cut (drops, reconnect), and fed duplicates. Links stay FIFO, as WebSockets are
// (cojson's guarantee). After healing, every replica holds the same transactions and every
// client's unsynced tracker is empty.
import { fc, test } from "@fast-check/vitest";
import { type CoId, createLinkedChannels, emptyKnownState, type LinkedChannel, type LocalNode } from "@cosync/core";
import { expect, vi } from "vitest";
import { createTestNode, plainHeader, testCrypto } from "../helpers/nodes.js";

const CLIENTS = 3;
const VALUES = 2;

type Step =
  | { kind: "edit"; client: number; value: number; n: number }
  | { kind: "hold"; client: number }
  | { kind: "release"; client: number }
  | { kind: "cut"; client: number }
  | { kind: "reconnect"; client: number }
  | { kind: "duplicate"; client: number; value: number };

const arbClient = fc.integer({ min: 0, max: CLIENTS - 1 });
const arbValue = fc.integer({ min: 0, max: VALUES - 1 });
const arbStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("edit" as const), client: arbClient, value: arbValue, n: fc.nat(99) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("hold" as const), client: arbClient }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("release" as const), client: arbClient }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cut" as const), client: arbClient }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reconnect" as const), client: arbClient }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("duplicate" as const), client: arbClient, value: arbValue }) },
);

interface Link {
  toServer: LinkedChannel;
  toClient: LinkedChannel;
  releases: Array<() => void>;
  up: boolean;
}

class SimNetwork {
  readonly links: Link[] = [];
  constructor(
    readonly server: LocalNode,
    readonly clients: LocalNode[],
  ) {
    for (let i = 0; i < clients.length; i++) this.links.push(this.#connect(i));
  }

  #connect(i: number): Link {
    const [toServer, toClient] = createLinkedChannels({ aId: `client-${i}`, bId: "server", aRole: "client", bRole: "server", persistent: true });
    (this.clients[i] as LocalNode).syncManager.addPeer(toServer);
    this.server.syncManager.addPeer(toClient);
    return { toServer, toClient, releases: [], up: true };
  }

  apply(step: Step, ids: CoId[]): void {
    const link = this.links[step.client] as Link;
    const client = this.clients[step.client] as LocalNode;
    switch (step.kind) {
      case "edit":
        client.get(ids[step.value] as CoId)?.writeTrusting([{ by: step.client, n: step.n }]);
        return;
      case "hold":
        if (link.up) link.releases.push(link.toServer.hold(), link.toClient.hold());
        return;
      case "release":
        for (const release of link.releases.splice(0)) release();
        return;
      case "cut":
        if (link.up) link.toServer.close({ code: 1006, reason: "cut" });
        link.up = false;
        return;
      case "reconnect":
        if (!link.up) this.links[step.client] = this.#connect(step.client);
        return;
      case "duplicate": {
        const log = client.peekEntry(ids[step.value] as CoId)?.log;
        if (link.up && log !== undefined) for (const message of log.contentSince(emptyKnownState(log.id))) link.toServer.send(message);
        return;
      }
    }
  }

  heal(): void {
    for (let i = 0; i < this.links.length; i++) {
      this.apply({ kind: "release", client: i }, []);
      this.apply({ kind: "reconnect", client: i }, []);
    }
  }
}

/** Fails (so fast-check can shrink) instead of hanging when a promise never settles. */
async function withinSeconds<T>(promise: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${seconds} s`)), seconds * 1000);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function transactionsOf(node: LocalNode, id: CoId): string[] {
  const value = node.get(id);
  return value === undefined ? [] : [...value.transactions()].map((t) => `${t.sessionId}/${t.txIndex}/${JSON.stringify(t.tx)}`).sort();
}

// Found by this property (seed 878158218): a reconnect read back from storage an unsynced mark
// whose clearing was not written yet, and the value stayed "unsynced" for good.
const staleMarkOnReconnect: Step[] = [
  { kind: "cut", client: 0 },
  { kind: "edit", client: 2, value: 0, n: 0 },
  { kind: "edit", client: 2, value: 0, n: 0 },
  { kind: "edit", client: 1, value: 0, n: 0 },
  { kind: "reconnect", client: 0 },
];

test.prop([fc.array(arbStep, { minLength: 1, maxLength: 25 })], {
  numRuns: Number(process.env.FC_NUM_RUNS ?? 200),
  examples: [[staleMarkOnReconnect]],
  ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}),
})(
  "sync: any interleaving of edits, holds, cuts, reconnects and duplicates converges",
  async (steps) => {
    const crypto = await testCrypto();
    const server = await createTestNode();
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => createTestNode()));
    const net = new SimNetwork(server, clients);
    const ids: CoId[] = [];
    for (let v = 0; v < VALUES; v++) {
      const value = (clients[0] as LocalNode).createCoValue(plainHeader(crypto));
      value.writeTrusting([{ created: v }]);
      ids.push(value.id);
    }
    await (clients[0] as LocalNode).syncManager.waitForAllSynced();
    for (const client of clients.slice(1)) for (const id of ids) await client.load(id);

    for (const step of steps) {
      net.apply(step, ids);
      if (step.kind === "edit") await Promise.resolve();
    }
    net.heal();

    for (const client of clients) await withinSeconds(client.syncManager.waitForAllSynced(), 3, "a client never got its acks");
    await vi.waitFor(
      () => {
        for (const id of ids) {
          const reference = transactionsOf(server, id);
          for (const client of clients) expect(transactionsOf(client, id)).toEqual(reference);
        }
      },
      { timeout: 5_000, interval: 5 },
    );
    for (const client of clients) expect(client.syncManager.unsynced.ids()).toEqual([]);
    // Every edit survived: count the edits each client made and find them on the server.
    const edits = steps.filter((s) => s.kind === "edit").length;
    const total = ids.reduce((n, id) => n + transactionsOf(server, id).length, 0);
    expect(total).toBe(edits + VALUES);
  },
);
