import { runChannelConformance } from "@cosync/testing";
import { expect, test } from "vitest";
import type { CoId } from "../ids/co-id.js";
import { createLinkedChannels, type LinkedChannel } from "./linked-channels.js";
import type { OutgoingMessage } from "./peer-channel.js";

function linkedSetup(capacity?: number) {
  return async () => {
    const [a, b] = createLinkedChannels({ aId: "peer-a", bId: "peer-b", ...(capacity === undefined ? {} : { capacity }) });
    return {
      a,
      b,
      congest: async () => a.hold(),
      cleanup: async () => {},
    };
  };
}

runChannelConformance("linked channels", linkedSetup());
runChannelConformance("linked channels, capacity 2 per tick", linkedSetup(2));

const done = (n: number): OutgoingMessage => ({ action: "done", id: `co_zDone${n}` as CoId });
const content = (n: number, priority: 0 | 3 | 6): OutgoingMessage => ({ action: "content", id: `co_zC${n}` as CoId, priority, new: {} });

function received(channel: LinkedChannel): unknown[] {
  const messages: unknown[] = [];
  channel.onMessage((message) => messages.push(message));
  return messages;
}

/** Lets queued microtasks (the link's flushes) run. */
async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}

test("linked channels: each end reports the other's id and role; persistence follows cojson by default", () => {
  const [a, b] = createLinkedChannels({ aId: "client-1", bId: "server-1" });
  expect([a.peerId, a.role, a.persistent, a.acceptsErrorNotices]).toEqual(["server-1", "server", true, true]);
  expect([b.peerId, b.role, b.persistent, b.acceptsErrorNotices]).toEqual(["client-1", "client", false, true]);
  const [c, d] = createLinkedChannels({ aId: "x", bId: "y", aRole: "server", bRole: "server", persistent: false, acceptsErrorNotices: false });
  expect([c.role, c.persistent, c.acceptsErrorNotices, d.role, d.persistent]).toEqual(["server", false, false, "server", false]);
});

test("linked channels: invalid options are refused naming the argument", () => {
  expect(() => createLinkedChannels({ aId: "a", bId: "b", capacity: 0 })).toThrow(/capacity/);
  expect(() => createLinkedChannels({ aId: 1 as unknown as string, bId: "b" })).toThrow(/aId/);
});

test("linked channels: a message mutated after send arrives as it was at send time", async () => {
  const [a, b] = createLinkedChannels({ aId: "a", bId: "b" });
  const atB = received(b);
  const message = { action: "known", id: "co_zX" as CoId, header: false, sessions: {} as Record<string, number> };
  a.send(message as OutgoingMessage);
  message.sessions.late = 1;
  await settle();
  expect(atB).toEqual([{ action: "known", id: "co_zX", header: false, sessions: {} }]);
});

test("linked channels: a value JSON cannot carry fails at the sender, like a wire would", () => {
  const [a] = createLinkedChannels({ aId: "a", bId: "b" });
  expect(() => a.send({ action: "done", id: 1n } as unknown as OutgoingMessage)).toThrow(TypeError);
});

test("linked channels: capacity limits deliveries per flush, and later urgent messages overtake", async () => {
  const [a, b] = createLinkedChannels({ aId: "a", bId: "b", capacity: 1 });
  const atB = received(b);
  a.send(content(1, 6));
  a.send(content(2, 6));
  a.send(content(3, 6));
  await Promise.resolve(); // first flush: one message
  a.send({ action: "load", id: "co_zLoad4" as CoId, header: false, sessions: {} }); // priority 0
  await settle();
  expect(atB.map((message) => (message as { id: string }).id)).toEqual(["co_zC1", "co_zLoad4", "co_zC2", "co_zC3"]);
});

test("linked channels: hold keeps messages until release; holds nest; closing releases them", async () => {
  const [a, b] = createLinkedChannels({ aId: "a", bId: "b" });
  const atB = received(b);
  const release1 = a.hold();
  const release2 = a.hold();
  a.send(done(1));
  await settle();
  release1();
  release1();
  await settle();
  expect(atB).toEqual([]);
  release2();
  await settle();
  expect(atB).toEqual([done(1)]);

  a.hold();
  a.send(done(2));
  a.close();
  await b.closed;
  expect(atB).toEqual([done(1), done(2)]);
});

test("linked channels: what the other end queued toward a closed end is dropped and counted", async () => {
  const [a, b] = createLinkedChannels({ aId: "a", bId: "b" });
  const atA = received(a);
  b.send(done(1));
  b.send(done(2));
  a.close();
  b.send(done(3));
  await b.closed;
  b.send(done(4));
  a.send(done(5));
  await settle();
  expect(atA).toEqual([]);
  expect(b.dropped).toBe(4);
  expect(a.dropped).toBe(1);
});

test("linked channels: notices go to onNotice only, and are dropped without a notice listener", async () => {
  const [a, b] = createLinkedChannels({ aId: "a", bId: "b" });
  const atB = received(b);
  const notices: unknown[] = [];
  a.send({ error: { code: "Gap", message: "nobody listens yet" } });
  await settle();
  b.onNotice((notice) => notices.push(notice));
  a.send({ error: { code: "Gap", message: "missing 3", id: "co_zX" } });
  await settle();
  expect(notices).toEqual([{ error: { code: "Gap", message: "missing 3", id: "co_zX" } }]);
  expect(atB).toEqual([]);
});

test("linked channels: a throwing listener does not stop delivery to the others", async () => {
  const [a, b] = createLinkedChannels({ aId: "a", bId: "b" });
  const failures: unknown[] = [];
  const onError = (error: unknown) => failures.push(error);
  process.on("uncaughtException", onError);
  try {
    b.onMessage(() => {
      throw new Error("listener bug");
    });
    const atB = received(b);
    a.send(done(1));
    a.send(done(2));
    await settle();
    expect(atB).toEqual([done(1), done(2)]);
  } finally {
    await settle();
    process.off("uncaughtException", onError);
  }
});
