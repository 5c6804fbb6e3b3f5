// A `known` answering a `load` names only committed state: handleLoad takes the state together
// with the promise of the appends holding it, so content another connection delivers while the
// load waits (its append chained behind, a whole commit and fsync away with the worker writer) is
// not named. Realistic case: a client's old connection delivers B while the client, reconnected,
// loads with its full state; naming B before it is durable would make the client stop resending it.
//
// Real SQLite file (worker writer), real WebSockets; a second SQLite connection holds the write
// lock only to line up the race deterministically (the worker waits on busy_timeout).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { ContentMessage, SessionId } from "@cosync/core";
import { openSqliteStorage } from "@cosync/storage-sqlite";
import { expect, test, vi } from "vitest";
import { createTestNode, plainHeader, testCrypto } from "../helpers/nodes.js";
import { startSyncServer } from "../../packages/server/src/start-sync-server.js";
import { RawClient } from "../../packages/server/src/test-fixtures/raw-client.js";

const quiet = { log: { level: "silent" }, processMetrics: false } as const;

test("a load's known reply never names transactions storage has not committed (content applied while it waited is not named)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cosync-review2-load-"));
  try {
    const file = join(dir, "s.db");
    const storage = await openSqliteStorage({ file }); // default: worker writer, synchronous full
    const server = await startSyncServer({ ...quiet, port: 0, storage });
    const httpUrl = server.url.replace("ws://", "http://");

    // The author's content, cut by hand: A (header + 1 transaction), then B (many transactions).
    const author = await createTestNode({ storage: false });
    const value = author.createCoValue(plainHeader(await testCrypto()));
    value.writeTrusting(["A"]);
    author.sealLocalWrites();
    const log = () => author.peekEntry(value.id)?.log ?? expect.fail("no log");
    const contentA: ContentMessage[] = log().contentSince(undefined);
    const knownA = log().knownState();
    for (let i = 0; i < 400; i++) value.writeTrusting([{ op: "set", key: `k${i}`, value: "x".repeat(500) }]);
    author.sealLocalWrites();
    const contentB: ContentMessage[] = log().contentSince(knownA);
    const full = log().knownState();
    const session = Object.keys(full.sessions)[0] as SessionId;
    const endB = full.sessions[session] as number;

    const oldConnection = await RawClient.connect(server.url);
    const reconnected = await RawClient.connect(server.url);

    // Another connection holds the write lock: A's commit waits in the worker.
    const locker = new Database(file);
    locker.exec("BEGIN IMMEDIATE");
    oldConnection.send(...contentA);
    await vi.waitFor(() => expect(server.node.peekEntry(value.id)?.log?.sessions.get(session)?.count).toBe(1));

    // The reconnected client loads with its full state: handled at once up to `await entry.durable` (A's).
    reconnected.send({ action: "load", ...full });
    await vi.waitFor(async () => {
      const text = await (await fetch(`${httpUrl}/metrics`)).text();
      expect(text).toMatch(/cosync_messages_total\{action="load",direction="in"\} 1/);
    });
    // B arrives on the old connection meanwhile: applied in memory, its append chained behind A's.
    oldConnection.send(...contentB);
    await vi.waitFor(() => expect(server.node.peekEntry(value.id)?.log?.sessions.get(session)?.count).toBe(endB));

    // Record what the file holds at the moment the load's `known` arrives.
    const reader = new Database(file, { readonly: true });
    const storedWhenKnownArrived: number[] = [];
    reconnected.onEntry((entry) => {
      if (entry.action !== "known" || entry.id !== value.id) return;
      const row = reader.prepare("SELECT count FROM sessions WHERE session_id = ?").get(session) as { count: number } | undefined;
      storedWhenKnownArrived.push(row?.count ?? 0);
    });
    locker.exec("ROLLBACK");
    locker.close();
    const known = await reconnected.waitFor((entry) => entry.action === "known" && entry.id === value.id, "the load's known");

    // The reply names A at least, and never more than the file held when it arrived.
    const claimed = (known.sessions as Record<string, number>)[session] ?? 0;
    expect(claimed).toBeGreaterThanOrEqual(1);
    expect(claimed).toBeLessThanOrEqual(storedWhenKnownArrived[0] ?? 0);

    reader.close();
    await oldConnection.close();
    await reconnected.close();
    await server.close();
    await storage.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
