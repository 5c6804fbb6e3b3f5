import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SessionId, StorageAdapter } from "@cosync/core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openBetterSqlite3Driver } from "./better-sqlite3-driver.js";
import { openSqliteStorage } from "./open-sqlite-storage.js";
import { CRASH_COVALUES, crashHashState, crashPiece, crashSignature, crashTx } from "./test-fixtures/crash-data.mjs";

// A child process appends through the real, built adapter and reports each resolved append; we
// SIGKILL it at a random moment, 20 times, and check that the file holds every reported commit,
// no torn session, and still takes writes. This is the "nothing acked is lost" promise for
// process crashes (OS crashes and power loss need synchronous=full; they cannot be simulated here).

const KILLS = 20;
const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const writer = fileURLToPath(new URL("./test-fixtures/crash-writer.mjs", import.meta.url));
let dir: string;

beforeAll(async () => {
  // The child runs plain Node, so it needs the compiled adapter and core.
  const build = spawnSync("npx", ["tsc", "-b", "packages/storage-sqlite"], { cwd: repoRoot, encoding: "utf8" });
  if (build.status !== 0) console.warn(`tsc -b packages/storage-sqlite reported errors (dist still emitted):\n${build.stdout.slice(0, 2000)}`);
  expect(existsSync(join(repoRoot, "packages/storage-sqlite/dist/index.js")), "storage-sqlite dist was built").toBe(true);
  dir = await mkdtemp(join(tmpdir(), "cosync-sqlite-crash-"));
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts the writer, kills it `delayMs` after it is ready, and returns the highest count it reported per session. */
async function runAndKill(file: string, synchronous: "normal" | "full", seed: number, delayMs: number): Promise<Map<SessionId, number>> {
  const child: ChildProcess = spawn(process.execPath, [writer, file, synchronous, String(seed)], { stdio: ["ignore", "pipe", "pipe"] });
  const reported = new Map<SessionId, number>();
  let stderr = "";
  let buffered = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
  // Killed a random delay after its first commit, not after start: on a busy machine a writer can
  // take longer than the delay to commit anything, and a kill before any commit tests nothing.
  const committing = new Promise<void>((resolve) => {
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (text: string) => {
      buffered += text;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? ""; // a line cut by the kill is not a report
      for (const line of lines) {
        if (line.startsWith("committed ")) resolve();
        const [word, sessionId, count] = line.split(" ");
        if (word === "committed" && sessionId !== undefined) {
          reported.set(sessionId as SessionId, Math.max(reported.get(sessionId as SessionId) ?? 0, Number(count)));
        }
      }
    });
  });
  child.stderr?.on("data", (text: Buffer) => {
    stderr += text.toString();
  });
  const early = exited.then(({ code }) => {
    throw new Error(`writer exited by itself (code ${code}): ${stderr}`);
  });
  await Promise.race([committing, early]);
  await Promise.race([new Promise((resolve) => setTimeout(resolve, delayMs)), early]);
  child.kill("SIGKILL");
  const { signal } = await exited;
  expect(signal, `writer should die by SIGKILL; stderr: ${stderr}`).toBe("SIGKILL");
  return reported;
}

/** Asserts that every reported count is stored, and each session is whole up to its stored count. */
async function checkIntact(storage: StorageAdapter, file: string, reported: ReadonlyMap<SessionId, number>, context: string): Promise<void> {
  for (const coValue of CRASH_COVALUES) {
    const known = await storage.knownState(coValue.id);
    const summary = await storage.summary(coValue.id);
    for (const sessionId of coValue.sessions) {
      const stored = known?.sessions[sessionId] ?? 0;
      expect(stored, `${context}: ${sessionId} holds what was reported`).toBeGreaterThanOrEqual(reported.get(sessionId) ?? 0);
      if (stored === 0) continue;
      const session = summary?.sessions[sessionId];
      expect(session?.lastSignature, context).toBe(crashSignature(sessionId, stored));
      expect(Array.from(session?.hashState ?? []), context).toEqual(Array.from(crashHashState(sessionId, stored)));
      // The tail through the adapter: contiguous and exactly what was written.
      const from = Math.max(0, stored - 25);
      const tail: string[] = [];
      for await (const piece of storage.load(coValue.id, { id: coValue.id, header: true, sessions: { [sessionId]: from, [otherSession(coValue.sessions, sessionId)]: Number.MAX_SAFE_INTEGER } })) {
        tail.push(...(piece.sessions[sessionId]?.transactions ?? []));
      }
      expect(tail, context).toEqual(Array.from({ length: stored - from }, (_, offset) => crashTx(sessionId, from + offset)));
    }
  }
  // Underneath: every session row's count matches its transaction rows, numbered 0..count-1.
  const raw = openBetterSqlite3Driver(file);
  try {
    const torn = raw.all(
      `SELECT s.session_id, s.count, count(t.idx) AS n, min(t.idx) AS lo, max(t.idx) AS hi
       FROM sessions s LEFT JOIN transactions t ON t.session = s.row_id GROUP BY s.row_id
       HAVING n <> s.count OR lo <> 0 OR hi <> s.count - 1`,
    );
    expect(torn, `${context}: torn sessions`).toEqual([]);
    expect(raw.get<{ n: number }>("SELECT count(*) AS n FROM transactions WHERE session NOT IN (SELECT row_id FROM sessions)")?.n, context).toBe(0);
  } finally {
    raw.close();
  }
}

function otherSession(sessions: readonly SessionId[], sessionId: SessionId): SessionId {
  return sessions.find((candidate) => candidate !== sessionId) ?? sessionId;
}

test("crash safety: a writer SIGKILLed 20 times loses no reported commit and leaves no torn session", async () => {
  const file = join(dir, "crash.sqlite");
  const delays: number[] = [];
  for (let kill = 0; kill < KILLS; kill++) {
    const synchronous = kill % 2 === 0 ? "full" : "normal";
    const delayMs = 20 + Math.floor(Math.random() * 281);
    delays.push(delayMs);
    const context = `kill ${kill} (${synchronous}, after ${delayMs} ms; delays so far ${delays.join(",")})`;
    const reported = await runAndKill(file, synchronous, kill + 1, delayMs);
    expect(reported.size, `${context}: the writer committed something`).toBeGreaterThan(0);

    await using storage = await openSqliteStorage({ file, synchronous });
    await checkIntact(storage, file, reported, context);

    // Writing continues after the crash.
    const coValue = CRASH_COVALUES[kill % CRASH_COVALUES.length];
    if (coValue === undefined) throw new Error("unreachable");
    const sessionId = coValue.sessions[0] as SessionId;
    const stored = (await storage.knownState(coValue.id))?.sessions[sessionId] ?? 0;
    const piece = crashPiece(sessionId, stored, stored + 3);
    const outcome = await storage.append({ id: coValue.id, header: coValue.header, sessions: { [sessionId]: piece } });
    expect(outcome.type, context).toBe("Stored");
    expect(outcome.knownState.sessions[sessionId], context).toBe(stored + 3);
  }
}, 60_000);
