import { type AppendOutcome, CHECKPOINT_BYTES, type SessionId, StorageError } from "@cosync/core";
import { describe, expect, test } from "vitest";
import { bytesOf, collectPieces, joinPieces, loadJoined, openStorageFixture, type StorageSetup } from "./storage-fixture.js";
import { defineStorageLifecycleTests } from "./storage-conformance-lifecycle.js";
import { defineStorageModelTest } from "./storage-conformance-model.js";
import { createTestSessionLog, randomCoId, randomDeleteSessionId, randomSessionId, testHeader } from "./storage-test-data.js";

export type { StorageSetup } from "./storage-fixture.js";

/**
 * Defines the StorageAdapter conformance suite (STYLE §5.9) under `describe(name)`: every
 * adapter package calls it with a setup giving a fresh store, a way to reopen the same location,
 * and a cleanup. The in-memory adapter passes the same suite.
 */
export function runStorageConformance(name: string, setup: StorageSetup): void {
  describe(`storage conformance: ${name}`, () => {
    defineRoundTripTests(setup);
    defineAppendTests(setup);
    defineLoadTests(setup);
    defineStorageLifecycleTests(setup);
    defineStorageModelTest(setup);
  });
}

function defineRoundTripTests(setup: StorageSetup): void {
  test("round trip: a header and several sessions load back exactly as appended", async () => {
    await using t = await openStorageFixture(setup);
    const id = randomCoId();
    const header = testHeader();
    const logs = [createTestSessionLog(randomSessionId()), createTestSessionLog(randomSessionId()), createTestSessionLog(randomDeleteSessionId())];
    const counts = [7, 3, 1];
    const sessions = Object.fromEntries(logs.map((log, index) => [log.sessionId, log.piece(0, counts[index] ?? 0)]));
    const expected = { id, header: true, sessions: Object.fromEntries(logs.map((log, index) => [log.sessionId, counts[index]])) };

    expect(await t.storage.append({ id, header, sessions })).toEqual({ type: "Stored", knownState: expected });
    expect(await t.storage.knownState(id)).toEqual(expected);

    const summary = await t.storage.summary(id);
    expect(summary?.header).toEqual(header);
    for (const [index, log] of logs.entries()) {
      const count = counts[index] ?? 0;
      const session = summary?.sessions[log.sessionId];
      expect(session?.count).toBe(count);
      expect(session?.lastSignature).toBe(log.signatureAt(count));
      expect(session?.hashState).toBeInstanceOf(Uint8Array);
      expect(bytesOf(session?.hashState)).toEqual(bytesOf(log.hashStateAt(count)));
    }

    const loaded = await loadJoined(t.storage, id);
    expect(loaded.header).toEqual(header);
    for (const [index, log] of logs.entries()) {
      const count = counts[index] ?? 0;
      expect(loaded.sessions[log.sessionId]).toEqual({ after: 0, transactions: log.txs(0, count), lastSignature: log.signatureAt(count) });
    }
  });

  test("round trip: a piece without a hash state clears the stored one", async () => {
    await using t = await openStorageFixture(setup);
    const id = randomCoId();
    const log = createTestSessionLog(randomSessionId());
    await t.storage.append({ id, header: testHeader(), sessions: { [log.sessionId]: log.piece(0, 2) } });
    await t.storage.append({ id, sessions: { [log.sessionId]: log.piece(2, 4, { hashState: false }) } });
    const session = (await t.storage.summary(id))?.sessions[log.sessionId];
    // A hash state from count 2 would be wrong for count 4: better none than a stale one.
    expect(session?.count).toBe(4);
    expect(session?.hashState).toBeUndefined();
  });
}

function defineAppendTests(setup: StorageSetup): void {
  test("append: re-appending a prefix or an overlapping piece stores only the unseen suffix", async () => {
    await using t = await openStorageFixture(setup);
    const id = randomCoId();
    const log = createTestSessionLog(randomSessionId());
    const s = log.sessionId;
    await t.storage.append({ id, header: testHeader(), sessions: { [s]: log.piece(0, 5) } });
    await t.storage.append({ id, sessions: { [s]: log.piece(5, 10) } });
    expect(await t.storage.append({ id, sessions: { [s]: log.piece(0, 10) } })).toEqual({ type: "Stored", knownState: { id, header: true, sessions: { [s]: 10 } } });
    expect(await t.storage.append({ id, sessions: { [s]: log.piece(2, 6) } })).toMatchObject({ type: "Stored" });

    // Indices 8 and 9 are already stored: storage must keep its own copy, never rewrite it.
    const overlap = log.piece(8, 15);
    const tampered = { ...overlap, transactions: ["tampered-8", "tampered-9", ...overlap.transactions.slice(2)] };
    expect(await t.storage.append({ id, sessions: { [s]: tampered } })).toEqual({ type: "Stored", knownState: { id, header: true, sessions: { [s]: 15 } } });
    // A fully seen piece must not move the last signature back.
    await t.storage.append({ id, sessions: { [s]: log.piece(0, 3) } });

    expect((await loadJoined(t.storage, id)).sessions[s]).toEqual({ after: 0, transactions: log.txs(0, 15), lastSignature: log.signatureAt(15) });
    const summary = (await t.storage.summary(id))?.sessions[s];
    expect(summary?.lastSignature).toBe(log.signatureAt(15));
    expect(bytesOf(summary?.hashState)).toEqual(bytesOf(log.hashStateAt(15)));
  });

  test("append: a piece starting beyond the stored count is a Gap and nothing of the chunk is stored", async () => {
    await using t = await openStorageFixture(setup);
    const id = randomCoId();
    const [a, b, c] = [createTestSessionLog(randomSessionId()), createTestSessionLog(randomSessionId()), createTestSessionLog(randomSessionId())];
    await t.storage.append({ id, header: testHeader(), sessions: { [a.sessionId]: a.piece(0, 5), [b.sessionId]: b.piece(0, 2) } });
    const before = { id, header: true, sessions: { [a.sessionId]: 5, [b.sessionId]: 2 } };

    const outcome = await t.storage.append({
      id,
      sessions: { [a.sessionId]: a.piece(5, 8), [c.sessionId]: c.piece(0, 3), [b.sessionId]: b.piece(3, 4) },
    });
    expect(outcome).toEqual({ type: "Gap", knownState: before });
    expect(await t.storage.knownState(id)).toEqual(before);
    const loaded = await loadJoined(t.storage, id);
    expect(loaded.sessions[a.sessionId]?.transactions).toEqual(a.txs(0, 5));
    expect(loaded.sessions[c.sessionId]).toBeUndefined();
    expect((await t.storage.summary(id))?.sessions[a.sessionId]?.lastSignature).toBe(a.signatureAt(5));
  });

  test("append: the first append of a CoValue without a header is a Gap", async () => {
    await using t = await openStorageFixture(setup);
    const id = randomCoId();
    const log = createTestSessionLog(randomSessionId());
    expect(await t.storage.append({ id, sessions: { [log.sessionId]: log.piece(0, 3) } })).toEqual({
      type: "Gap",
      knownState: { id, header: false, sessions: {} },
    });
    expect(await t.storage.knownState(id)).toBeUndefined();
    expect(await collectPieces(t.storage, id)).toEqual([]);
  });

  test("append: a malformed transaction mid-chunk throws a StorageError and stores nothing", async () => {
    await using t = await openStorageFixture(setup);
    const id = randomCoId();
    const [a, b] = [createTestSessionLog(randomSessionId()), createTestSessionLog(randomSessionId())];
    const bad = (from: number) => {
      const piece = b.piece(from, from + 3);
      return { ...piece, transactions: [piece.transactions[0], 42, piece.transactions[2]] as unknown as string[] };
    };
    // On a new CoValue: neither the header nor the valid first session may remain.
    await expect(t.storage.append({ id, header: testHeader(), sessions: { [a.sessionId]: a.piece(0, 4), [b.sessionId]: bad(0) } })).rejects.toBeInstanceOf(StorageError);
    expect(await t.storage.knownState(id)).toBeUndefined();

    // On a stored CoValue: the valid session's growth is rolled back too.
    await t.storage.append({ id, header: testHeader(), sessions: { [a.sessionId]: a.piece(0, 2) } });
    await expect(t.storage.append({ id, sessions: { [a.sessionId]: a.piece(2, 6), [b.sessionId]: bad(0) } })).rejects.toBeInstanceOf(StorageError);
    expect(await t.storage.knownState(id)).toEqual({ id, header: true, sessions: { [a.sessionId]: 2 } });
    expect((await t.storage.summary(id))?.sessions[a.sessionId]?.lastSignature).toBe(a.signatureAt(2));

    // And the adapter keeps working.
    expect(await t.storage.append({ id, sessions: { [a.sessionId]: a.piece(2, 6) } })).toMatchObject({ type: "Stored" });
    expect((await loadJoined(t.storage, id)).sessions[a.sessionId]?.transactions).toEqual(a.txs(0, 6));
  });

  test("append: concurrent first appends of one CoValue are all stored", async () => {
    await using t = await openStorageFixture(setup);
    const id = randomCoId();
    const header = testHeader();
    const logs = Array.from({ length: 4 }, () => createTestSessionLog(randomSessionId()));
    const outcomes = await Promise.all(logs.map((log) => t.storage.append({ id, header, sessions: { [log.sessionId]: log.piece(0, 5) } })));
    for (const outcome of outcomes) expect(outcome.type).toBe("Stored");
    expect(await t.storage.knownState(id)).toEqual({ id, header: true, sessions: Object.fromEntries(logs.map((log) => [log.sessionId, 5])) });
  });

  test("append: concurrent appends to one session leave a log consistent with their outcomes", async () => {
    await using t = await openStorageFixture(setup);
    const id = randomCoId();
    const log = createTestSessionLog(randomSessionId());
    const s: SessionId = log.sessionId;
    await t.storage.append({ id, header: testHeader(), sessions: {} });
    const ranges: Array<[number, number]> = [[0, 10], [10, 20], [5, 25], [20, 30], [0, 3]];
    const outcomes = await Promise.all(ranges.map(([from, to]) => t.storage.append({ id, sessions: { [s]: log.piece(from, to) } })));

    expect(outcomes[0]?.type).toBe("Stored"); // after 0 can never be a gap
    let stored = 0;
    outcomes.forEach((outcome: AppendOutcome, index) => {
      const [, to] = ranges[index] ?? [0, 0];
      if (outcome.type === "Stored") {
        expect(outcome.knownState.sessions[s]).toBeGreaterThanOrEqual(to);
        stored = Math.max(stored, to);
      }
    });
    expect((await t.storage.knownState(id))?.sessions[s]).toBe(stored);
    expect((await loadJoined(t.storage, id)).sessions[s]?.transactions).toEqual(log.txs(0, stored));

    // Retrying the refused ones in order completes the log.
    for (const [index, [from, to]] of ranges.entries()) {
      if (outcomes[index]?.type === "Gap") expect((await t.storage.append({ id, sessions: { [s]: log.piece(from, to) } })).type).toBe("Stored");
    }
    expect((await loadJoined(t.storage, id)).sessions[s]).toEqual({ after: 0, transactions: log.txs(0, 30), lastSignature: log.signatureAt(30) });
  });

  test("append: an adapter claiming appendsInOrder commits pipelined appends of one session in call order, none refused", async () => {
    await using t = await openStorageFixture(setup);
    if (t.storage.appendsInOrder !== true) return; // the node waits for each commit instead
    const id = randomCoId();
    const log = createTestSessionLog(randomSessionId());
    const s: SessionId = log.sessionId;
    // Issued back to back, none awaiting the one before: each builds on what the previous stores.
    const outcomes = await Promise.all([
      t.storage.append({ id, header: testHeader(), sessions: { [s]: log.piece(0, 1) } }),
      ...Array.from({ length: 29 }, (_, index) => t.storage.append({ id, sessions: { [s]: log.piece(index + 1, index + 2) } })),
    ]);
    expect(outcomes.map((outcome) => outcome.type)).toEqual(Array(30).fill("Stored"));
    expect((await loadJoined(t.storage, id)).sessions[s]).toEqual({ after: 0, transactions: log.txs(0, 30), lastSignature: log.signatureAt(30) });
  });
}

function defineLoadTests(setup: StorageSetup): void {
  test("load: large sessions come back in pieces cut at appended signatures, each about CHECKPOINT_BYTES", async () => {
    await using t = await openStorageFixture(setup);
    const id = randomCoId();
    // Two large sessions written side by side, as a binary stream and its metadata would be, and
    // a small one: pieces may mix sessions, but no piece may carry much more than CHECKPOINT_BYTES.
    const [big, other] = [createTestSessionLog(randomSessionId(), { size: "large" }), createTestSessionLog(randomSessionId(), { size: "large" })];
    const small = createTestSessionLog(randomSessionId());
    const perAppend = 4;
    let count = 0;
    let totalSize = 0;
    let appendSize = 0;
    await t.storage.append({ id, header: testHeader(), sessions: { [small.sessionId]: small.piece(0, 3) } });
    while (totalSize <= 3.5 * CHECKPOINT_BYTES) {
      const piece = big.piece(count, count + perAppend);
      const size = piece.transactions.join("").length;
      appendSize = Math.max(appendSize, size);
      totalSize += size;
      const sessions = count < 120 ? { [big.sessionId]: piece, [other.sessionId]: other.piece(count, count + perAppend) } : { [big.sessionId]: piece };
      await t.storage.append({ id, sessions });
      count += perAppend;
    }

    const pieces = await collectPieces(t.storage, id);
    // Several pieces, but cut at checkpoints rather than at every one of the ~100 appends.
    const carrying = pieces.filter((piece) => piece.sessions[big.sessionId] !== undefined).length;
    expect(carrying).toBeGreaterThanOrEqual(3);
    expect(carrying).toBeLessThanOrEqual(Math.ceil(totalSize / CHECKPOINT_BYTES) + 1);
    const appendedEnds = new Set(Array.from({ length: count / perAppend }, (_, index) => (index + 1) * perAppend));
    for (const piece of pieces) {
      for (const log of [big, other]) {
        const part = piece.sessions[log.sessionId];
        if (part === undefined) continue;
        const end = part.after + part.transactions.length;
        expect(appendedEnds.has(end), `piece ending at ${end} ends where an append ended`).toBe(true);
        expect(part.lastSignature).toBe(log.signatureAt(end));
      }
      const pieceSize = Object.values(piece.sessions).reduce((sum, session) => sum + session.transactions.join("").length, 0);
      expect(pieceSize).toBeLessThanOrEqual(CHECKPOINT_BYTES + appendSize);
    }
    const joined = joinPieces(id, pieces);
    expect(joined.sessions[big.sessionId]?.transactions).toEqual(big.txs(0, count));
    expect(joined.sessions[other.sessionId]?.transactions).toEqual(other.txs(0, Math.min(count, 120)));
    expect(joined.sessions[small.sessionId]?.transactions).toEqual(small.txs(0, 3));

    // Loading from the middle of a checkpointed range still ends each piece at a stored signature.
    const middle = await loadJoined(t.storage, id, { id, header: true, sessions: { [big.sessionId]: 10, [other.sessionId]: 120, [small.sessionId]: 3 } });
    expect(middle.sessions).toEqual({ [big.sessionId]: { after: 10, transactions: big.txs(10, count), lastSignature: big.signatureAt(count) } });
  });

  test("load: only what `since` lacks comes back, and no header when `since` has it", async () => {
    await using t = await openStorageFixture(setup);
    const id = randomCoId();
    const header = testHeader();
    const [a, b] = [createTestSessionLog(randomSessionId()), createTestSessionLog(randomSessionId())];
    await t.storage.append({ id, header, sessions: { [a.sessionId]: a.piece(0, 6), [b.sessionId]: b.piece(0, 4) } });

    const partial = await loadJoined(t.storage, id, { id, header: true, sessions: { [a.sessionId]: 4 } });
    expect(partial.header).toBeUndefined();
    expect(partial.sessions).toEqual({
      [a.sessionId]: { after: 4, transactions: a.txs(4, 6), lastSignature: a.signatureAt(6) },
      [b.sessionId]: { after: 0, transactions: b.txs(0, 4), lastSignature: b.signatureAt(4) },
    });

    const everything = { id, header: true, sessions: { [a.sessionId]: 6, [b.sessionId]: 9 } };
    expect(await collectPieces(t.storage, id, everything)).toEqual([]);
    const headerOnly = await collectPieces(t.storage, id, { ...everything, header: false });
    expect(headerOnly).toEqual([{ id, header, sessions: {} }]);
  });
}
