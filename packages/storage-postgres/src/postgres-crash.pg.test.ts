import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { CoId, SessionId } from "@cosync/core";
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openPostgresStorage } from "./open-postgres-storage.js";
import { createFreshDatabase, type FreshDatabase } from "./test-fixtures/fresh-database.js";

// A child process appends through the built adapter and reports each resolved append; the test
// SIGKILLs it at random moments and then checks, with a fresh adapter, that every reported commit
// survived and that no session was torn (the crash-safety half of "Stored means committed").

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "../../..");
const child = join(here, "test-fixtures/crash-child.mjs");
const KILLS = 20;

// The same functions of (session, index) as crash-child.mjs.
const id = "co_zCrashTestValue" as CoId;
const sessions = ["co_zA_session_zCrashA", "co_zB_session_zCrashB", "co_zC_session_zCrashC", "co_zD_session_zCrashD"] as SessionId[];
const txAt = (session: string, index: number): string =>
  JSON.stringify({ privacy: "trusting", madeAt: index, changes: `["${session}#${index}${index % 5 === 4 ? "z".repeat(20_000) : ""}"]` });
const sigAt = (session: string, count: number): string => `signature_z${session}_${count}`;

let db: FreshDatabase;

beforeAll(async () => {
  // The child runs the real build (dist), not the TypeScript sources vitest uses.
  const build = await promisify(execFile)("npx", ["tsc", "-b", "packages/storage-postgres"], { cwd: repoRoot }).catch(
    (error: { stdout?: string; stderr?: string }) => error,
  );
  // Type errors elsewhere in the workspace do not stop tsc from emitting this package.
  const output = `${build.stdout ?? ""}${build.stderr ?? ""}`;
  if (output.includes("packages/storage-postgres/")) throw new Error(`building storage-postgres failed:\n${output}`);
  db = await createFreshDatabase();
}, 60_000);

afterAll(async () => {
  await db?.drop();
});

/** Runs the child until a random 20–300 ms after it is ready, SIGKILLs it, returns its highest reported counts. */
async function runAndKill(committed: Map<string, number>): Promise<void> {
  const process_: ChildProcess = spawn(process.execPath, [child, db.url], { stdio: ["ignore", "pipe", "pipe"] });
  let buffered = "";
  let stderr = "";
  let ready: () => void = () => undefined;
  const readyLine = new Promise<void>((resolve) => {
    ready = resolve;
  });
  process_.stderr?.on("data", (data: Buffer) => {
    stderr += data.toString();
  });
  process_.stdout?.on("data", (data: Buffer) => {
    buffered += data.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? ""; // a line cut by the kill is not a report
    for (const line of lines) {
      if (line === "ready") ready();
      const match = /^committed (\S+) (\d+)$/.exec(line);
      if (match) committed.set(match[1] as string, Math.max(committed.get(match[1] as string) ?? 0, Number(match[2])));
    }
  });
  const exited = once(process_, "exit");
  await Promise.race([readyLine, exited]);
  if (process_.exitCode !== null) throw new Error(`crash child exited early (${process_.exitCode}):\n${stderr}`);
  await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 280));
  process_.kill("SIGKILL");
  const [code, signal] = await exited;
  if (signal !== "SIGKILL") throw new Error(`crash child ended by itself (code ${code}):\n${stderr}`);
}

test("postgres crash safety: every reported commit survives SIGKILL and sessions stay intact", async () => {
  const committed = new Map<string, number>();
  for (let kill = 0; kill < KILLS; kill++) await runAndKill(committed);
  expect(committed.size).toBe(sessions.length);

  await using storage = await openPostgresStorage({ url: db.url });
  const known = await storage.knownState(id);
  for (const [session, count] of committed) expect(known?.sessions[session as SessionId]).toBeGreaterThanOrEqual(count);

  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    for (const session of sessions) {
      const { rows: summary } = await client.query<{ row_id: string; count: number; last_signature: string }>(
        "SELECT row_id, count, last_signature FROM cosync_sessions WHERE covalue = $1 AND session_id = $2",
        [id, session],
      );
      const row = summary[0];
      if (row === undefined) throw new Error(`session ${session} missing`);
      expect(row.last_signature).toBe(sigAt(session, row.count));
      const { rows } = await client.query<{ idx: number; tx: string }>(
        "SELECT idx, tx FROM cosync_transactions WHERE session = $1 ORDER BY idx",
        [row.row_id],
      );
      expect(rows.length).toBe(row.count);
      expect(rows.every((tx, index) => tx.idx === index && tx.tx === txAt(session, index))).toBe(true);
      const { rows: checkpoints } = await client.query<{ idx: number; signature: string }>(
        "SELECT idx, signature FROM cosync_checkpoints WHERE session = $1",
        [row.row_id],
      );
      for (const checkpoint of checkpoints) {
        expect(checkpoint.idx).toBeLessThan(row.count);
        expect(checkpoint.signature).toBe(sigAt(session, checkpoint.idx + 1));
      }
    }
  } finally {
    await client.end();
  }

  // Loading returns the same logs, and writing continues where the killed process stopped.
  for await (const piece of storage.load(id)) {
    for (const [session, part] of Object.entries(piece.sessions)) {
      expect(part.lastSignature).toBe(sigAt(session, part.after + part.transactions.length));
    }
  }
  const first = sessions[0] as SessionId;
  const count = known?.sessions[first] ?? 0;
  const next = { after: count, transactions: [txAt(first, count)], lastSignature: sigAt(first, count + 1) as never };
  expect(await storage.append({ id, sessions: { [first]: next } })).toMatchObject({ type: "Stored" });
}, 55_000);
