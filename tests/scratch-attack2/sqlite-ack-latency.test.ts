// Probe (not a finding unless it fails): with the SQLite writer batching a whole event-loop turn,
// can attackers pushing valid content as fast as their byte rate allows hold back an honest
// writer's acks?
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentSecret, idForHeader, type SessionId, SessionLog, signerSecretOfAgent, type Signature } from "@cosync/core";
import { expect, test } from "vitest";
import { namedAccountNode, plainHeader } from "../helpers/nodes.js";
import { blake3, closedAfterEachTest, content, crypto, newAgent, sessionOf, tx } from "../../packages/server/src/test-fixtures/attack-kit.js";

const { start, raw, bridged, track } = closedAfterEachTest();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function piecesOf(sessionId: SessionId, agent: AgentSecret, count: number, size: number) {
  const log = new SessionLog(sessionId, crypto.provider.createHashChain());
  return Array.from({ length: count }, (_, index) => {
    const transaction = tx([{ op: "set", key: `k${index}`, value: "p".repeat(size) }]);
    log.appendOwn(transaction, signerSecretOfAgent(agent), crypto);
    return { after: index, newTransactions: [transaction], lastSignature: log.lastSignature as Signature };
  });
}

async function honestLatencies(writes: number, write: () => Promise<void>) {
  const out: number[] = [];
  for (let i = 0; i < writes; i++) {
    const t = performance.now();
    await write();
    out.push(performance.now() - t);
    await sleep(5);
  }
  console.log(`order: ${out.map((x) => x.toFixed(0)).join(" ")}`);
  out.sort((a, b) => a - b);
  return { p50: out[Math.floor(out.length / 2)]?.toFixed(1), p90: out[Math.ceil(out.length * 0.9) - 1]?.toFixed(1), top5: out.slice(-5).map((x) => x.toFixed(0)).join(" "), p99: out[Math.ceil(out.length * 0.99) - 1]?.toFixed(1), max: out[out.length - 1]?.toFixed(1) };
}

test("honest acks under a flood of valid content through SQLite", async () => {
  const dir = await mkdtemp(join(tmpdir(), "attack2-sqlite-"));
  track(() => rm(dir, { recursive: true, force: true }));
  const BYTES = { perSecond: 2 * 1024 * 1024, burst: 4 * 1024 * 1024 };
  const server = await start({ inMemory: false, db: join(dir, "s.db"), limits: { connection: { bytes: BYTES } } });
  const honest = await namedAccountNode("Honest");
  await bridged(honest, server);
  const map = honest.createGroup().createMap();
  map.set("x", 0, "trusting");
  await map.waitForSync({ timeoutMs: 10_000 });
  let n = 0;
  const write = async () => {
    map.set("x", ++n, "trusting");
    await map.waitForSync({ timeoutMs: 10_000 });
  };
  // Signed up front: the test shares the server's event loop.
  const prepared = Array.from({ length: 3 }, () => {
    const header = plainHeader(crypto);
    const agent = newAgent();
    const session = sessionOf(crypto.agentId(agent));
    return { header, id: idForHeader(header, blake3), session, pieces: piecesOf(session, agent, 40, 256_000) };
  });
  const alone = await honestLatencies(60, write);

  // 3 attacker connections, each at its 2 MiB/s byte rate with 256 KB valid pieces.
  let stop = false;
  const floods = prepared.map(async ({ header, id, session, pieces }) => {
    const attacker = await raw(server);
    attacker.send(content(id, {}, header));
    for (const piece of pieces) {
      if (stop) break;
      attacker.send(content(id, { [session]: piece }));
      await sleep(120); // ~2 MiB/s
    }
  });
  const underAttack = await honestLatencies(60, write);
  stop = true;
  await Promise.all(floods);
  console.log(`honest ack latency ms — alone: ${JSON.stringify(alone)}; under flood: ${JSON.stringify(underAttack)}`);
  expect(Number(underAttack.p99)).toBeLessThan(Math.max(200, 10 * Number(alone.p99)));
}, 60_000);
