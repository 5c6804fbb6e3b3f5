// Child process of postgres-crash.pg.test.ts: drives the built adapter in endless appends until the
// parent SIGKILLs it. After each append resolves it prints "committed <session> <count>" for every
// session of the chunk; the parent checks that every printed count survived the kill.
//
// Usage: node crash-child.mjs <postgres url>
// Transaction texts and signatures are functions of (session, index) so the parent can verify them.
import { openPostgresStorage } from "../../dist/index.js";

const url = process.argv[2];
if (!url) throw new Error("usage: node crash-child.mjs <postgres url>");

const id = "co_zCrashTestValue";
const header = { type: "costream", ruleset: { type: "unsafeAllowAll" }, meta: null, uniqueness: "zCrash" };
const sessions = ["co_zA_session_zCrashA", "co_zB_session_zCrashB", "co_zC_session_zCrashC", "co_zD_session_zCrashD"];

// Every fifth transaction is ~20 KB so checkpoints are recorded while the process gets killed.
const txAt = (session, index) =>
  JSON.stringify({ privacy: "trusting", madeAt: index, changes: `["${session}#${index}${index % 5 === 4 ? "z".repeat(20_000) : ""}"]` });
const sigAt = (session, count) => `signature_z${session}_${count}`;

const storage = await openPostgresStorage({ url, maxConnections: 4 });
const known = await storage.knownState(id);
const counts = new Map(sessions.map((session) => [session, known?.sessions[session] ?? 0]));
process.stdout.write("ready\n");

function piece(session, length) {
  const after = counts.get(session);
  const transactions = Array.from({ length }, (_, i) => txAt(session, after + i));
  return { after, transactions, lastSignature: sigAt(session, after + length), hashState: new Uint8Array([after + length & 255]) };
}

// Loop k owns session k, so its pieces never race each other; loop 0 also carries the fourth
// session in the same chunks, so a kill can fall inside a two-session append.
async function loop(k) {
  for (;;) {
    const own = sessions[k];
    const chunkSessions = { [own]: piece(own, 1 + Math.floor(Math.random() * 8)) };
    if (k === 0) chunkSessions[sessions[3]] = piece(sessions[3], 1 + Math.floor(Math.random() * 3));
    const outcome = await storage.append({ id, header, sessions: chunkSessions });
    if (outcome.type !== "Stored") throw new Error(`unexpected ${outcome.type}: ${JSON.stringify(outcome.knownState)}`);
    const lines = [];
    for (const session of Object.keys(chunkSessions)) {
      const count = outcome.knownState.sessions[session];
      counts.set(session, count);
      lines.push(`committed ${session} ${count}\n`);
    }
    process.stdout.write(lines.join(""));
  }
}

await Promise.all([loop(0), loop(1), loop(2)]);
