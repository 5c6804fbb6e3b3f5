// Attack: a `known` is free (not rate-limited) while the connection holds "solicited ack" credit,
// and every content message the server sends it grants one more credit. A `known` *correction*
// saying "I hold nothing" makes the server resend the whole value — which grants fresh credit.
// One rate-limited `load` therefore buys an unbounded stream of full-value resends.
import { idForHeader } from "@cosync/core";
import { expect, test } from "vitest";
import { plainHeader } from "../helpers/nodes.js";
import { blake3, closedAfterEachTest, content, crypto, newAgent, sessionOf, signedPiece, tx, within } from "../../packages/server/src/test-fixtures/attack-kit.js";

const { start, raw } = closedAfterEachTest();

test("a rate-limited connection makes the server resend a whole value over and over with free `known` corrections", async () => {
  // 3 messages/s (burst 3) per connection: at most ~3 + 3·t requests in t seconds.
  const server = await start({ limits: { connection: { messages: { perSecond: 3, burst: 3 } } } });

  // A value of ~500 KB (5 checkpoints of 100 KiB payload → several content messages).
  const header = plainHeader(crypto);
  const id = idForHeader(header, blake3);
  const agent = newAgent();
  const session = sessionOf(crypto.agentId(agent));
  const big = Array.from({ length: 5 }, (_, i) => tx([{ op: "set", key: `k${i}`, value: "x".repeat(100_000) }]));
  const writer = await raw(server);
  writer.send(content(id, { [session]: signedPiece(session, agent, big) }, header));
  await writer.waitFor((e) => e.action === "known" && e.id === id, "the upload acked");

  const attacker = await raw(server);
  attacker.send({ action: "load", id, header: false, sessions: {} }); // 1 rate-limited message
  await attacker.waitFor((e) => e.action === "done" && e.id === id, "the first full answer");

  let contentMessages = attacker.entries.filter((e) => e.action === "content").length;
  const started = Date.now();
  const ROUNDS = 200;
  for (let round = 0; round < ROUNDS; round++) {
    const before = contentMessages;
    attacker.send({ action: "known", isCorrection: true, id, header: false, sessions: {} });
    await within(
      attacker.waitFor(() => attacker.entries.filter((e) => e.action === "content").length > before || attacker.entries.some((e) => e.error?.code === "RateLimited"), "an answer", 5000),
      6000,
      "an answer",
    );
    contentMessages = attacker.entries.filter((e) => e.action === "content").length;
    if (attacker.entries.some((e) => e.error?.code === "RateLimited")) break;
  }
  const seconds = (Date.now() - started) / 1000;
  const contentBytes = attacker.entries.filter((e) => e.action === "content").reduce((sum, e) => sum + JSON.stringify(e).length, 0);
  const rateLimited = attacker.entries.filter((e) => e.error?.code === "RateLimited").length;
  console.log(`attacker: ${ROUNDS} corrections in ${seconds.toFixed(2)} s → ${contentMessages} content messages, ${(contentBytes / 1e6).toFixed(0)} MB sent by the server, ${rateLimited} RateLimited notices`);

  // Expected: the per-connection rate (3/s) bounds how often a peer can make the server resend a
  // value; ~200 requests in a couple of seconds must hit RateLimited.
  expect(rateLimited).toBeGreaterThan(0);
}, 60_000);
