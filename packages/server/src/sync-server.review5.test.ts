// Findings of the fifth hostile review, each a test that failed before its fix:
// - pieces were cut, and content messages packed, by the size of `changes` alone: megabytes of
//   `meta` (or thousands of tiny sessions) written into a victim's value came back to every fresh
//   loader as one message over a client's frame limit, making the value unloadable;
// - a `load` (or `known`) could name any number of made-up sessions, which the server kept as the
//   peer's state and walked on every later write to the value (an honest write took 271 ms).
import { type CoId, makeTrustingTransaction } from "@cosync/core";
import { connectWebSocket } from "@cosync/transport-ws";
import { expect, test } from "vitest";
import { WebSocket } from "ws";
import { createTestNode } from "../../../tests/helpers/nodes.js";
import { closedAfterEachTest, content, crypto, newAgent, sessionOf, signedPieces, unknownId, within } from "./test-fixtures/attack-kit.js";

const { start, raw, victimWithValue, track } = closedAfterEachTest();


test("review5: megabytes of meta written into a victim's value are served in messages a client accepts, and the value loads", async () => {
  const server = await start(); // maxMessageBytes 4 MiB; clients' maxFrameBytes 8 MiB
  const { map } = await victimWithValue(server);
  // Three messages of ~3.2 MiB, under every incoming limit: tiny `changes`, 100 KB of meta each.
  const agent = newAgent();
  const session = sessionOf(crypto.agentId(agent));
  const batches = Array.from({ length: 3 }, (_, b) =>
    Array.from({ length: 32 }, (_, i) => makeTrustingTransaction([] as never, Date.now(), { pad: `${b}.${i}`.padEnd(100_000, "m") })),
  );
  const attacker = await raw(server);
  for (const piece of signedPieces(session, agent, batches)) attacker.send(content(map.id as CoId, { [session]: piece }));
  await within(
    attacker.waitFor((e) => e.action === "known" && e.id === map.id && (e.sessions as Record<string, number>)[session] === 96, "all three stored", 20_000),
    25_000,
    "the attacker's content acknowledged",
  );

  const loader = await raw(server);
  loader.send({ action: "load", id: map.id, header: false, sessions: {} });
  await loader.waitFor((e) => e.action === "done" && e.id === map.id, "the load answered", 20_000);
  const sizes = loader.entries.filter((e) => e.action === "content" && e.id === map.id).map((e) => JSON.stringify(e).length);
  // Each stored piece (~3.2 MB, signed only at its end) is a message of its own: none is merged.
  expect(sizes.length).toBeGreaterThanOrEqual(3);
  expect(Math.max(...sizes)).toBeLessThan(4 * 1024 * 1024);

  const reader = await createTestNode();
  const channel = await connectWebSocket({ url: server.url, WebSocket: WebSocket as never });
  track(async () => channel.close());
  reader.syncManager.addPeer(channel);
  const outcome = await within(
    Promise.race([reader.load(map.id as CoId).then((o) => o.status), channel.closed.then((r) => `connection closed ${r.code} ${r.reason}`)]),
    20_000,
    "the reader's load",
  );
  expect(outcome).toBe("loaded");
}, 90_000);

test("review5: loads naming 50,000 made-up sessions do not make later honest writes to the value expensive", async () => {
  const server = await start();
  const victim = await victimWithValue(server);
  const write = async (i: number) => {
    const started = performance.now();
    victim.map.set("n", i, "trusting");
    await within(victim.map.waitForSync(), 30_000, "ack");
    return performance.now() - started;
  };
  const alone: number[] = [];
  for (let i = 0; i < 10; i++) alone.push(await write(i));

  const fake: Record<string, number> = {};
  const owner = unknownId();
  for (let i = 0; i < 50_000; i++) fake[sessionOf(owner)] = 1;
  for (let a = 0; a < 6; a++) {
    const attacker = await raw(server);
    attacker.send({ action: "load", id: victim.map.id, header: false, sessions: fake });
    await attacker.waitFor((e) => e.id === victim.map.id && (e.action === "done" || e.action === "known"), "answer", 20_000);
  }
  const attacked: number[] = [];
  for (let i = 0; i < 10; i++) attacked.push(await write(100 + i));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  console.log(`honest write→ack: alone median ${median(alone).toFixed(1)} ms; after six 50,000-session loads median ${median(attacked).toFixed(1)} ms`);
  expect(median(attacked)).toBeLessThan(Math.max(20, 5 * median(alone)));
}, 90_000);
