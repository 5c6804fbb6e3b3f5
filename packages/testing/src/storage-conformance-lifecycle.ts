import { type StorageAdapter, StorageError, type UnsyncedEntry } from "@cosync/core";
import { expect, test } from "vitest";
import { bytesOf, collectPieces, loadJoined, openStorageFixture, type StorageSetup } from "./storage-fixture.js";
import { createTestSessionLog, randomCoId, randomDeleteSessionId, randomSessionId, testHeader } from "./storage-test-data.js";

const byIdAndPeer = (a: UnsyncedEntry, b: UnsyncedEntry) => `${a.id} ${a.peerId}`.localeCompare(`${b.id} ${b.peerId}`);

/** Defines the conformance tests of unsynced marks, deletion, unknown ids, reopening and closing. */
export function defineStorageLifecycleTests(setup: StorageSetup): void {
  test("unsynced: marks are idempotent, clearable, and survive reopening", async () => {
    await using t = await openStorageFixture(setup);
    const [x, y] = [randomCoId(), randomCoId()];
    const entries = [{ id: x, peerId: "peer-a" }, { id: x, peerId: "peer-b" }, { id: y, peerId: "peer-a" }];
    await t.storage.markUnsynced(entries);
    await t.storage.markUnsynced([entries[0] as UnsyncedEntry, entries[0] as UnsyncedEntry]);
    expect((await t.storage.listUnsynced()).sort(byIdAndPeer)).toEqual([...entries].sort(byIdAndPeer));

    await t.storage.clearUnsynced([{ id: x, peerId: "peer-a" }, { id: randomCoId(), peerId: "peer-z" }]);
    await t.storage.clearUnsynced([{ id: x, peerId: "peer-a" }]);
    const remaining = [entries[1], entries[2]] as UnsyncedEntry[];
    expect((await t.storage.listUnsynced()).sort(byIdAndPeer)).toEqual(remaining.sort(byIdAndPeer));

    const reopened = await t.reopen();
    expect((await reopened.listUnsynced()).sort(byIdAndPeer)).toEqual(remaining.sort(byIdAndPeer));
    await reopened.clearUnsynced(remaining);
    expect(await reopened.listUnsynced()).toEqual([]);
  });

  test("counters (optional): deltas add up, prefixes select, wildcard characters are literal, values survive reopening", async (context) => {
    await using t = await openStorageFixture(setup);
    const { addToCounters, readCounters } = t.storage;
    if (addToCounters === undefined || readCounters === undefined) {
      context.skip();
      return;
    }
    await t.storage.addToCounters?.(new Map([["quota:a", 100], ["quota:b", 7], ["rate_x", 1]]));
    await t.storage.addToCounters?.(new Map([["quota:a", -30], ["quota:%", 2]]));
    expect(await t.storage.readCounters?.("quota:")).toEqual(new Map([["quota:a", 70], ["quota:b", 7], ["quota:%", 2]]));
    expect(await t.storage.readCounters?.("quota:%")).toEqual(new Map([["quota:%", 2]]));
    expect(await t.storage.readCounters?.("rate_")).toEqual(new Map([["rate_x", 1]]));
    const reopened = await t.reopen();
    expect(await reopened.readCounters?.("quota:a")).toEqual(new Map([["quota:a", 70]]));
  });

  test("markDeleted: erases non-delete sessions and refuses their later appends as a Gap", async () => {
    await using t = await openStorageFixture(setup);
    const id = randomCoId();
    const header = testHeader();
    const [a, b] = [createTestSessionLog(randomSessionId()), createTestSessionLog(randomSessionId())];
    const del = createTestSessionLog(randomDeleteSessionId());
    await t.storage.append({ id, header, sessions: { [a.sessionId]: a.piece(0, 5), [b.sessionId]: b.piece(0, 2), [del.sessionId]: del.piece(0, 1) } });

    await t.storage.markDeleted(id);
    await t.storage.markDeleted(id);
    expect(await t.storage.isDeleted(id)).toBe(true);
    const afterDelete = { id, header: true, sessions: { [del.sessionId]: 1 } };
    expect(await t.storage.knownState(id)).toEqual(afterDelete);
    expect(Object.keys((await t.storage.summary(id))?.sessions ?? {})).toEqual([del.sessionId]);
    expect((await loadJoined(t.storage, id)).sessions).toEqual({
      [del.sessionId]: { after: 0, transactions: del.txs(0, 1), lastSignature: del.signatureAt(1) },
    });

    expect(await t.storage.append({ id, sessions: { [a.sessionId]: a.piece(0, 6) } })).toEqual({ type: "Gap", knownState: afterDelete });
    // A chunk mixing both kinds is refused whole: appends stay atomic.
    expect(await t.storage.append({ id, sessions: { [del.sessionId]: del.piece(1, 2), [b.sessionId]: b.piece(0, 1) } })).toEqual({ type: "Gap", knownState: afterDelete });
    expect(await t.storage.append({ id, sessions: { [del.sessionId]: del.piece(1, 2) } })).toEqual({
      type: "Stored",
      knownState: { id, header: true, sessions: { [del.sessionId]: 2 } },
    });

    const reopened = await t.reopen();
    expect(await reopened.isDeleted(id)).toBe(true);
    expect(await reopened.knownState(id)).toEqual({ id, header: true, sessions: { [del.sessionId]: 2 } });
    expect((await reopened.append({ id, sessions: { [b.sessionId]: b.piece(0, 1) } })).type).toBe("Gap");
  });

  test("markDeleted: a tombstone for a CoValue never stored still refuses its ordinary sessions", async () => {
    await using t = await openStorageFixture(setup);
    const id = randomCoId();
    const log = createTestSessionLog(randomSessionId());
    await t.storage.markDeleted(id);
    expect(await t.storage.isDeleted(id)).toBe(true);
    expect(await t.storage.knownState(id)).toBeUndefined();
    expect((await t.storage.append({ id, header: testHeader(), sessions: { [log.sessionId]: log.piece(0, 1) } })).type).toBe("Gap");
    expect(await t.storage.knownState(id)).toBeUndefined();
  });

  test("listIds (optional): stored ids page in byte-wise order; tombstones of unstored ids are not listed", async (context) => {
    await using t = await openStorageFixture(setup);
    if (t.storage.listIds === undefined) {
      context.skip();
      return;
    }
    const ids = Array.from({ length: 7 }, () => randomCoId());
    for (const id of ids) {
      const log = createTestSessionLog(randomSessionId());
      await t.storage.append({ id, header: testHeader(), sessions: { [log.sessionId]: log.piece(0, 1) } });
    }
    await t.storage.markDeleted(randomCoId());
    const listed: string[] = [];
    for (let page = await t.storage.listIds(undefined, 3); page.length > 0; page = await t.storage.listIds(page[page.length - 1], 3)) {
      expect(page.length).toBeLessThanOrEqual(3);
      listed.push(...page);
    }
    // The suite's storage may be shared with other tests: only ours are checked, in order.
    const ours = new Set<string>(ids);
    expect(listed.filter((id) => ours.has(id))).toEqual([...ids].sort());
    expect([...listed].sort()).toEqual(listed);
  });

  test("unknown id: no known state, no summary, an empty load, not deleted", async () => {
    await using t = await openStorageFixture(setup);
    const id = randomCoId();
    expect(await t.storage.knownState(id)).toBeUndefined();
    expect(await t.storage.summary(id)).toBeUndefined();
    expect(await collectPieces(t.storage, id)).toEqual([]);
    expect(await collectPieces(t.storage, id, { id, header: true, sessions: {} })).toEqual([]);
    expect(await t.storage.isDeleted(id)).toBe(false);
  });

  test("reopen: after close the same known states, summaries and loads come back", async () => {
    await using t = await openStorageFixture(setup);
    const ids = [randomCoId(), randomCoId(), randomCoId()];
    const logs = ids.map(() => [createTestSessionLog(randomSessionId()), createTestSessionLog(randomSessionId())]);
    for (const [index, id] of ids.entries()) {
      const [a, b] = logs[index] ?? [];
      if (a === undefined || b === undefined) throw new Error("unreachable");
      await t.storage.append({ id, header: testHeader(), sessions: { [a.sessionId]: a.piece(0, 3 + index) } });
      await t.storage.append({ id, sessions: { [a.sessionId]: a.piece(3 + index, 9), [b.sessionId]: b.piece(0, 2 + index, { hashState: index !== 1 }) } });
    }
    const snapshot = async (storage: StorageAdapter) =>
      Promise.all(
        ids.map(async (id) => {
          const summary = await storage.summary(id);
          const sessions = Object.entries(summary?.sessions ?? {}).map(([sessionId, s]) => [sessionId, s.count, s.lastSignature, bytesOf(s.hashState)]);
          return { known: await storage.knownState(id), header: summary?.header, sessions, pieces: await collectPieces(storage, id) };
        }),
      );
    const before = await snapshot(t.storage);
    const after = await snapshot(await t.reopen());
    expect(after).toEqual(before);
    expect(after[2]?.known?.sessions).toEqual({ [logs[2]?.[0]?.sessionId ?? ""]: 9, [logs[2]?.[1]?.sessionId ?? ""]: 4 });

    // And the reopened adapter keeps appending where the old one stopped.
    const [a] = logs[0] ?? [];
    if (a === undefined) throw new Error("unreachable");
    expect((await t.storage.append({ id: ids[0] ?? randomCoId(), sessions: { [a.sessionId]: a.piece(9, 12) } })).type).toBe("Stored");
  });

  test("close: a second close() resolves only once what was accepted before the first is durable", async () => {
    await using t = await openStorageFixture(setup);
    const id = randomCoId();
    const log = createTestSessionLog(randomSessionId());
    const appended = t.storage.append({ id, header: testHeader(), sessions: { [log.sessionId]: log.piece(0, 40) } });
    const first = t.storage.close();
    await t.storage.close(); // e.g. `await using` disposing after an explicit close began
    // The first close is done too: what it committed is what a reopened adapter holds.
    let firstDone = false;
    void first.then(() => {
      firstDone = true;
    });
    await Promise.resolve();
    expect(firstDone).toBe(true);
    expect((await appended).type).toBe("Stored");
    expect((await (await t.reopen()).knownState(id))?.sessions).toEqual({ [log.sessionId]: 40 });
  });

  test("close: every method afterwards rejects with a StorageError, and closing again is harmless", async () => {
    await using t = await openStorageFixture(setup);
    const id = randomCoId();
    const log = createTestSessionLog(randomSessionId());
    await t.storage.append({ id, header: testHeader(), sessions: { [log.sessionId]: log.piece(0, 2) } });
    await t.storage.close();
    await t.storage.close();
    const entry = [{ id, peerId: "peer" }];
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["knownState", () => t.storage.knownState(id)],
      ["summary", () => t.storage.summary(id)],
      ["load", () => collectPieces(t.storage, id)],
      ["append", () => t.storage.append({ id, sessions: { [log.sessionId]: log.piece(2, 3) } })],
      ["markUnsynced", () => t.storage.markUnsynced(entry)],
      ["clearUnsynced", () => t.storage.clearUnsynced(entry)],
      ["listUnsynced", () => t.storage.listUnsynced()],
      ["markDeleted", () => t.storage.markDeleted(id)],
      ["isDeleted", () => t.storage.isDeleted(id)],
    ];
    for (const [name, call] of calls) {
      await expect(call(), name).rejects.toBeInstanceOf(StorageError);
    }
    // Nothing was written by the refused calls.
    expect(await (await t.reopen()).knownState(id)).toEqual({ id, header: true, sessions: { [log.sessionId]: 2 } });
  });
}
