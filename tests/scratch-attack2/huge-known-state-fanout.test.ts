// Attack: a `load` may name any number of (made-up) sessions. The server keeps that known state as
// the peer's optimistic state and, on every later write to the value, re-stringifies it as the
// ContentMemo key and copies it in combineKnownStates (mergeOptimistic) — synchronously, inside
// one forward() over all subscribers. A few connections each sending ONE ~3.7 MB load make every
// honest write to that value stall the event loop.
import { expect, test } from "vitest";
import { closedAfterEachTest, sessionOf, unknownId, within } from "../../packages/server/src/test-fixtures/attack-kit.js";

const { start, raw, victimWithValue } = closedAfterEachTest();

test("loads naming 50,000 made-up sessions make every honest write to the value expensive", async () => {
  const server = await start();
  const victim = await victimWithValue(server);
  const write = async (i: number) => {
    const t = performance.now();
    victim.map.set("n", i, "trusting");
    await within(victim.map.waitForSync(), 30_000, "ack");
    return performance.now() - t;
  };
  const alone: number[] = [];
  for (let i = 0; i < 10; i++) alone.push(await write(i));

  const fake: Record<string, number> = {};
  const owner = unknownId();
  for (let i = 0; i < 50_000; i++) fake[sessionOf(owner)] = 1;
  const ATTACKERS = 6;
  for (let a = 0; a < ATTACKERS; a++) {
    const attacker = await raw(server);
    attacker.send({ action: "load", id: victim.map.id, header: false, sessions: fake }); // one message each
    await attacker.waitFor((e) => e.id === victim.map.id && (e.action === "done" || e.action === "known"), "answer", 20_000);
  }
  const attacked: number[] = [];
  for (let i = 0; i < 10; i++) attacked.push(await write(100 + i));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  console.log(`honest write→ack ms: alone median ${median(alone).toFixed(1)}; after ${ATTACKERS} one-message loads median ${median(attacked).toFixed(1)} (max ${Math.max(...attacked).toFixed(0)})`);
  expect(median(attacked)).toBeLessThan(Math.max(20, 5 * median(alone)));
}, 90_000);
