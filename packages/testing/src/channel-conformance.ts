import type { CoId, CoValueHeader, ErrorNotice, OutgoingMessage, PeerChannel, Priority, SessionId, Signature } from "@cosync/core";
import { describe, expect, test } from "vitest";

/** Ends a congestion started by {@link ChannelPair.congest}. */
export type ReleaseCongestion = () => void | Promise<void>;

/** A fresh, connected pair of channels for one conformance test. */
export interface ChannelPair {
  /** `a`'s channel to `b`. */
  readonly a: PeerChannel;
  /** `b`'s channel to `a`. */
  readonly b: PeerChannel;
  /**
   * Optional: makes the link from `a` to `b` congested, so that what `a` sends from now on is
   * held in `a`'s queue instead of leaving, until the returned function is called. WebSocket
   * channels do it for real (the receiver stops reading until the sender's buffer is over its
   * limit); in-memory channels hold their queue. Without it, the suite only checks priorities
   * within one synchronous burst.
   */
  congest?(): Promise<ReleaseCongestion>;
  /** Closes whatever the setup opened (sockets, servers). Called once per test. */
  cleanup(): Promise<void>;
}

export type ChannelSetup = () => Promise<ChannelPair>;

/**
 * Defines the PeerChannel conformance suite (STYLE §5.9) under `describe(name)`. Every channel
 * implementation runs it: `createLinkedChannels` in core, the WebSocket channels in transport-ws.
 *
 * Beyond the contract in `peer-channel.ts`, it pins down two choices all cosync channels share:
 * messages queued during one synchronous run count as queued at the same time (they leave in
 * priority order), and messages that arrive before the first `onMessage` listener are kept for it.
 */
export function runChannelConformance(name: string, setup: ChannelSetup): void {
  describe(`channel conformance: ${name}`, () => {
    defineDeliveryTests(setup);
    definePriorityTests(setup);
    defineCloseTests(setup);
    defineListenerTests(setup);
  });
}

interface ChannelFixture extends ChannelPair, AsyncDisposable {}

async function openFixture(setup: ChannelSetup): Promise<ChannelFixture> {
  const pair = await setup();
  let cleaned = false;
  return {
    ...pair,
    async [Symbol.asyncDispose]() {
      if (cleaned) return;
      cleaned = true;
      pair.a.close();
      pair.b.close();
      await pair.cleanup();
    },
  };
}

// --- test messages: sequence number and priority are recoverable from what arrives ----------

const testSession = "co_zConformance_session_zTest" as SessionId;

/** A well-formed message carrying `seq`: `known` at priority 0, `content` at 3 or 6. */
function tagged(seq: number, priority: Priority): OutgoingMessage {
  if (priority === 0) return { action: "known", id: `co_zSeq${seq}` as CoId, header: false, sessions: { [testSession]: seq } };
  return { action: "content", id: `co_zSeq${seq}` as CoId, priority, new: {} };
}

function tagOf(message: unknown): { readonly seq: number; readonly priority: number } {
  const { id, action, priority } = message as { id: string; action: string; priority?: number };
  return { seq: Number(id.slice("co_zSeq".length)), priority: action === "known" ? 0 : (priority ?? -1) };
}

const priorityPattern: readonly Priority[] = [6, 3, 0, 6, 0, 3, 3, 6, 0, 6, 6, 0];

/** A content message exercising what framing must survive: unicode, escaped newlines, size. */
function richContent(bytes: number): OutgoingMessage {
  const header: CoValueHeader = {
    type: "comap",
    ruleset: { type: "unsafeAllowAll" },
    meta: { note: "line one\nline two\r\n\ttabbed \u2028 \u2029 \"quoted\" \\ back" },
    uniqueness: "zConformance",
    createdAt: "2026-01-01T00:00:00.000Z",
  } as CoValueHeader;
  return {
    action: "content",
    id: "co_zRich" as CoId,
    header,
    priority: 3,
    new: {
      [testSession]: {
        after: 0,
        newTransactions: [
          { privacy: "trusting", madeAt: 1_700_000_000_000, changes: JSON.stringify([{ op: "set", key: "émoji 🎉", value: "x".repeat(bytes) }]) },
          { privacy: "trusting", madeAt: 1_700_000_000_001, changes: "[]", meta: "{\"k\":\"\\n\"}" },
        ],
        lastSignature: "signature_zConformance" as Signature,
      },
    },
    expectContentUntil: { [testSession]: 2 },
  } as OutgoingMessage;
}

const notice: ErrorNotice = { error: { code: "InvalidSignature", message: "conformance notice", id: "co_zSeq1" } };

/** Resolves with the first `count` messages `channel` delivers; rejects if it closes first. */
function collect(channel: PeerChannel, count: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const received: unknown[] = [];
    if (count === 0) resolve(received);
    const unsubscribe = channel.onMessage((message) => {
      received.push(message);
      if (received.length === count) {
        unsubscribe();
        resolve(received);
      }
    });
    void channel.closed.then((reason) =>
      reject(new Error(`channel closed after ${received.length} of ${count} messages: ${reason.code} ${reason.reason}`)),
    );
  });
}

function expectPriorityOrdered(received: readonly unknown[]): void {
  const tags = received.map(tagOf);
  const priorities = tags.map((tag) => tag.priority);
  expect(priorities).toEqual([...priorities].sort((x, y) => x - y));
  for (const priority of [0, 3, 6]) {
    const seqs = tags.filter((tag) => tag.priority === priority).map((tag) => tag.seq);
    expect(seqs, `FIFO within priority ${priority}`).toEqual([...seqs].sort((x, y) => x - y));
  }
}

// --- delivery ------------------------------------------------------------------------------

function defineDeliveryTests(setup: ChannelSetup): void {
  test("delivery: many messages both ways arrive complete and in order", async () => {
    await using t = await openFixture(setup);
    const count = 2_000;
    const atB = collect(t.b, count);
    const atA = collect(t.a, count);
    const sent = Array.from({ length: count }, (_, seq) => tagged(seq, 3));
    for (const message of sent) {
      t.a.send(message);
      t.b.send(message);
    }
    expect(await atB).toEqual(sent);
    expect(await atA).toEqual(sent);
  });

  test("delivery: messages arrive as equal plain values, never the sender's objects", async () => {
    await using t = await openFixture(setup);
    const messages = [richContent(10), richContent(60_000), tagged(7, 3)]; // one priority: order is kept
    const atB = collect(t.b, messages.length);
    for (const message of messages) t.a.send(message);
    const received = await atB;
    expect(received).toEqual(messages);
    for (const [index, message] of received.entries()) {
      expect(message).not.toBe(messages[index]);
      expect(Object.getPrototypeOf(message)).toBe(Object.prototype);
    }
  });

  test("delivery: listeners are called asynchronously, never from inside send", async () => {
    await using t = await openFixture(setup);
    const received: unknown[] = [];
    t.b.onMessage((message) => received.push(message));
    const atB = collect(t.b, 1);
    t.a.send(tagged(1, 0));
    expect(received).toEqual([]);
    await atB;
    expect(received).toHaveLength(1);
  });

  test("delivery: messages that arrive before the first listener are kept for it, in order", async () => {
    await using t = await openFixture(setup);
    const early = [tagged(1, 0), tagged(2, 0), tagged(3, 0)];
    for (const message of early) t.a.send(message);
    // A round trip the other way lets the early messages reach b before anyone listens there.
    const echo = collect(t.a, 1);
    t.b.send(tagged(99, 0));
    await echo;
    const later = tagged(4, 0);
    t.a.send(later);
    expect(await collect(t.b, 4)).toEqual([...early, later]);
  });

  test("delivery: an error notice never reaches onMessage; messages around it still arrive", async () => {
    await using t = await openFixture(setup);
    const notices: unknown[] = [];
    const withNotices = t.b as PeerChannel & { onNotice?(listener: (notice: unknown) => void): () => void };
    withNotices.onNotice?.((received) => notices.push(received));
    const atB = collect(t.b, 2);
    t.a.send(tagged(1, 0));
    if (t.a.acceptsErrorNotices) t.a.send(notice);
    t.a.send(tagged(2, 0));
    expect(await atB).toEqual([tagged(1, 0), tagged(2, 0)]);
    if (t.a.acceptsErrorNotices && withNotices.onNotice) expect(notices).toEqual([notice]);
  });
}

// --- priorities ----------------------------------------------------------------------------

function definePriorityTests(setup: ChannelSetup): void {
  test("priority: a burst queued in one synchronous run leaves in priority order, FIFO within each", async () => {
    await using t = await openFixture(setup);
    const count = 120;
    const atB = collect(t.b, count);
    for (let seq = 0; seq < count; seq++) t.a.send(tagged(seq, priorityPattern[seq % priorityPattern.length] ?? 0));
    expectPriorityOrdered(await atB);
  });

  test("priority: while congested, later urgent messages overtake queued less urgent ones", async (context) => {
    await using t = await openFixture(setup);
    if (!t.congest) return context.skip("the setup has no congest() hook");
    const release = await t.congest();
    const rounds = 5;
    const perRound = 24;
    const atB = collect(t.b, rounds * perRound);
    let seq = 0;
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < perRound; i++, seq++) t.a.send(tagged(seq, priorityPattern[(seq + round) % priorityPattern.length] ?? 0));
      // Let the channel run its flush between rounds: it must find the link congested and wait.
      for (let turn = 0; turn < 5; turn++) await Promise.resolve();
    }
    await release();
    const received = await atB;
    expectPriorityOrdered(received);
    expect(received.map(tagOf).map((tag) => tag.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: seq }, (_, i) => i));
  });
}

// --- close ---------------------------------------------------------------------------------

function defineCloseTests(setup: ChannelSetup): void {
  for (const side of ["a", "b"] as const) {
    test(`close: closing ${side} settles both closed promises once, with its reason`, async () => {
      await using t = await openFixture(setup);
      const [closer, other] = side === "a" ? [t.a, t.b] : [t.b, t.a];
      let settledTimes = 0;
      void other.closed.then(() => settledTimes++);
      closer.close({ code: 4000, reason: "conformance close" });
      closer.close({ code: 4001, reason: "second close is ignored" });
      expect(await closer.closed).toEqual({ code: 4000, reason: "conformance close" });
      expect(await other.closed).toEqual({ code: 4000, reason: "conformance close" });
      other.close({ code: 4002, reason: "closing a closed channel is harmless" });
      expect(await other.closed).toEqual({ code: 4000, reason: "conformance close" });
      expect(settledTimes).toBe(1);
    });
  }

  test("close: what was sent before close arrives before the other side's closed settles", async () => {
    await using t = await openFixture(setup);
    const received: unknown[] = [];
    t.b.onMessage((message) => received.push(message));
    const sent = [tagged(1, 6), tagged(2, 3), tagged(3, 0)];
    for (const message of sent) t.a.send(message);
    t.a.close();
    const reason = await t.b.closed;
    expect(reason.code).toBe(1000);
    expect(typeof reason.reason).toBe("string");
    expect(received).toHaveLength(sent.length);
  });

  test("close: sends after close are dropped without throwing", async () => {
    await using t = await openFixture(setup);
    const received: unknown[] = [];
    t.a.onMessage((message) => received.push(message));
    t.b.onMessage((message) => received.push(message));
    t.a.close();
    expect(() => t.a.send(tagged(1, 0))).not.toThrow();
    await t.b.closed;
    expect(() => t.b.send(tagged(2, 0))).not.toThrow();
    expect(() => t.a.send(tagged(3, 6))).not.toThrow();
    await Promise.resolve();
    expect(received).toEqual([]);
  });
}

// --- listeners and identity ----------------------------------------------------------------

function defineListenerTests(setup: ChannelSetup): void {
  test("listeners: an unsubscribed listener receives nothing more; unsubscribing twice is harmless", async () => {
    await using t = await openFixture(setup);
    const first: unknown[] = [];
    const second: unknown[] = [];
    const unsubscribeFirst = t.b.onMessage((message) => first.push(message));
    t.b.onMessage((message) => second.push(message));
    t.a.send(tagged(1, 0));
    await collect(t.b, 1);
    unsubscribeFirst();
    unsubscribeFirst();
    t.a.send(tagged(2, 0));
    await collect(t.b, 1);
    expect(first).toEqual([tagged(1, 0)]);
    expect(second).toEqual([tagged(1, 0), tagged(2, 0)]);
  });

  test("identity: peerId, role, persistent and acceptsErrorNotices are set on both ends", async () => {
    await using t = await openFixture(setup);
    for (const channel of [t.a, t.b]) {
      expect(typeof channel.peerId).toBe("string");
      expect(channel.peerId.length).toBeGreaterThan(0);
      expect(["server", "client"]).toContain(channel.role);
      expect(typeof channel.persistent).toBe("boolean");
      expect(typeof channel.acceptsErrorNotices).toBe("boolean");
    }
  });
}
