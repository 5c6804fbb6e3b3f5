// Child process of sqlite-crash.test.ts: drives the real, built adapter, appending pieces in a
// loop and printing "committed <session> <count>" after each append resolves, until SIGKILLed.
// Usage: node crash-writer.mjs <file> <normal|full> <seed>
import { openSqliteStorage } from "../../dist/index.js";
import { CRASH_COVALUES, crashPiece } from "./crash-data.mjs";

const [file, synchronous, seedText] = process.argv.slice(2);
let seed = Number(seedText) >>> 0 || 1;
const random = (below) => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % below;
};

const storage = await openSqliteStorage({ file, synchronous });
const counts = new Map();
for (const coValue of CRASH_COVALUES) {
  const known = await storage.knownState(coValue.id);
  for (const sessionId of coValue.sessions) counts.set(sessionId, known?.sessions[sessionId] ?? 0);
}
process.stdout.write("ready\n");

for (;;) {
  const coValue = CRASH_COVALUES[random(CRASH_COVALUES.length)];
  // One or both sessions per chunk (a multi-session chunk must commit whole), sometimes
  // re-sending a few stored transactions to exercise the idempotent path.
  const sessionIds = random(3) === 0 ? coValue.sessions : [coValue.sessions[random(coValue.sessions.length)]];
  const sessions = {};
  const ends = [];
  for (const sessionId of sessionIds) {
    const stored = counts.get(sessionId);
    const from = Math.max(0, stored - random(3));
    const to = stored + 1 + random(20);
    sessions[sessionId] = crashPiece(sessionId, from, to);
    ends.push([sessionId, to]);
  }
  const outcome = await storage.append({ id: coValue.id, header: coValue.header, sessions });
  if (outcome.type !== "Stored") {
    process.stderr.write(`unexpected outcome ${JSON.stringify(outcome)}\n`);
    process.exit(3);
  }
  // Pipes are written synchronously on Linux, so this line is out before the next append starts.
  for (const [sessionId, to] of ends) {
    counts.set(sessionId, to);
    process.stdout.write(`committed ${sessionId} ${to}\n`);
  }
}
