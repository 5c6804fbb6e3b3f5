// Variant of the free-`known` amplification against a value over the full-content cache's 4 MiB
// per-value cap: every free correction rebuilds and re-serialises ~5 MB on the event loop.
import { type AgentSecret, idForHeader, type SessionId, SessionLog, signerSecretOfAgent, type Signature, type TrustingTransaction } from "@cosync/core";
import { spawn } from "node:child_process";
import { expect, test } from "vitest";
import { namedAccountNode, plainHeader } from "../helpers/nodes.js";
import { blake3, closedAfterEachTest, content, crypto, newAgent, sessionOf, tx, within } from "../../packages/server/src/test-fixtures/attack-kit.js";

const { start, raw, bridged } = closedAfterEachTest();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function signedPieces(sessionId: SessionId, agent: AgentSecret, batches: TrustingTransaction[][]) {
  const log = new SessionLog(sessionId, crypto.provider.createHashChain());
  return batches.map((batch) => {
    const after = log.count;
    for (const t of batch) log.appendOwn(t, signerSecretOfAgent(agent), crypto);
    return { after, newTransactions: batch, lastSignature: log.lastSignature as Signature };
  });
}

async function latencies(n: number, write: () => Promise<void>) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await write();
    out.push(performance.now() - t);
    await sleep(40);
  }
  out.sort((a, b) => a - b);
  return { p50: Math.round(out[Math.floor(n / 2)] as number), max: Math.round(out[n - 1] as number) };
}

test("free `known` corrections keep the event loop busy re-serialising a 5 MB value despite a 50 msg/s limit", async () => {
  const server = await start({ limits: { connection: { messages: { perSecond: 50, burst: 50 } } } });
  const header = plainHeader(crypto);
  const id = idForHeader(header, blake3);
  const agent = newAgent();
  const session = sessionOf(crypto.agentId(agent));
  const batches = Array.from({ length: 2 }, (_, b) => Array.from({ length: 25 }, (_, i) => tx([{ op: "set", key: `${b}.${i}`, value: "x".repeat(100_000) }])));
  const writer = await raw(server);
  for (const piece of signedPieces(session, agent, batches)) writer.send(content(id, { [session]: piece }, header));
  await writer.waitFor((e) => e.action === "known" && e.id === id && (e.sessions as Record<string, number>)[session] === 50, "stored", 20_000);

  const honest = await namedAccountNode("Honest");
  await bridged(honest, server);
  const map = honest.createGroup().createMap();
  map.set("n", 0, "trusting");
  await map.waitForSync({ timeoutMs: 10_000 });
  let n = 0;
  const write = async () => {
    map.set("n", ++n, "trusting");
    await map.waitForSync({ timeoutMs: 20_000 });
  };
  console.log("before alone");
  const alone = await latencies(20, write);
  console.log("alone", alone);

  // The attacker runs in its own process (it must not share the server's event loop here).
  const script = `
    const { WebSocket } = require("ws");
    const ws = new WebSocket(process.argv[1]);
    const id = process.argv[2];
    let resends = 0, limited = 0;
    ws.on("open", () => ws.send(JSON.stringify({ action: "load", id, header: false, sessions: {} })));
    ws.on("message", (data) => {
      if (data.includes('"RateLimited"')) limited++;
      if (!data.includes('"action":"content"')) return;
      resends++;
      ws.send(JSON.stringify({ action: "known", isCorrection: true, id, header: false, sessions: {} }));
    });
    process.on("SIGTERM", () => { console.log(JSON.stringify({ resends, limited })); process.exit(0); });
  `;
  const child = spawn(process.execPath, ["-e", script, server.url, id], { cwd: process.cwd(), stdio: ["ignore", "pipe", "inherit"] });
  let report = "";
  child.stdout.on("data", (chunk: Buffer) => {
    report += chunk.toString();
  });
  await sleep(500);
  const underAttack = await latencies(20, write).catch((error: Error) => ({ error: error.message }));
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
  const { resends, limited } = JSON.parse(report || "{}") as { resends?: number; limited?: number };
  console.log(`honest ack ms alone ${JSON.stringify(alone)}, under attack ${JSON.stringify(underAttack)}; server sent ${resends} content messages, RateLimited notices ${limited}`);
  expect("p50" in underAttack && underAttack.p50 < Math.max(50, alone.p50 * 5)).toBe(true);
}, 60_000);
