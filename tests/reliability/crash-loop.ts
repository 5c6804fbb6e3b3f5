// Server-level crash loop, shared by the SQLite and Postgres tests: a cosync server in a child
// process on a fixed port, several cosync clients (each with its own SQLite storage and a
// reconnecting WebSocket) writing all the time, and a SIGKILL at a random moment, CYCLES times.
//
// After each kill, before anything can resend, storage is opened directly and must hold every
// transaction a client saw acknowledged (the server's `known` covering it) before the kill. At the
// end every client's session on the server equals the client's own log: same session, same
// transactions, no fork.
import { join } from "node:path";
import type { CoId, KnownState, SessionId, StorageAdapter } from "@cosync/core";
import { openSqliteStorage } from "@cosync/storage-sqlite";
import { expect } from "vitest";
import { Spawned, listeningUrl } from "../cli/serve-process.js";
import { freePort } from "../../packages/server/src/test-fixtures/cluster-kit.js";

export { freePort };
import { within } from "../../packages/server/src/test-fixtures/attack-kit.js";
import { describeLatencies, type HonestClient, openHonestClient } from "./honest-client.js";

const serverScript = new URL("./child-server.mjs", import.meta.url).pathname;

export interface CrashLoopOptions {
  /** What the server is started with: a SQLite file or a postgres:// URL. */
  readonly db: string;
  /** Opens the server's storage directly, while no server runs. */
  readonly openServerStorage: () => Promise<StorageAdapter>;
  /** A directory for the clients' own SQLite files. */
  readonly dir: string;
  readonly cycles: number;
  readonly clients: number;
  readonly label: string;
}

export interface CrashLoopReport {
  readonly kills: number;
  readonly acknowledged: number;
  readonly lost: number;
}

/** A client's writes and the highest count of its session the server has acknowledged. */
interface Writer {
  readonly client: HonestClient;
  acked: KnownState | undefined;
  /** Resolved (and cleared) by the next acknowledgement. */
  nextAck: (() => void) | undefined;
}

/** Resolves once every writer had a write acknowledged (by the server now running): it is under load. */
function everyWriterAcknowledged(writers: readonly Writer[]): Promise<void> {
  return Promise.all(
    writers.map(
      (writer) =>
        new Promise<void>((resolve) => {
          writer.nextAck = resolve;
        }),
    ),
  ).then(() => {});
}

export async function runCrashLoop(options: CrashLoopOptions): Promise<CrashLoopReport> {
  const port = await freePort();
  let server = await startServer(port, options.db);
  const url = `ws://127.0.0.1:${port}`;
  const writers: Writer[] = [];
  let lost = 0;
  let kills = 0;
  try {
    for (let i = 0; i < options.clients; i++) {
      const storage = await openSqliteStorage({ file: join(options.dir, `client-${i}.db`) });
      const client = await openHonestClient(url, { name: `Writer ${i}`, storage });
      const writer: Writer = { client, acked: undefined, nextAck: undefined };
      client.onAcknowledged((known) => {
        writer.acked = known;
        writer.nextAck?.();
        writer.nextAck = undefined;
      });
      client.startWriting({ pauseMs: 1, ackTimeoutMs: 60_000 });
      writers.push(writer);
    }
    for (let cycle = 0; cycle < options.cycles; cycle++) {
      // Kill at a random point of the write load: once every client writes through this server
      // again, 0–300 ms later.
      await within(everyWriterAcknowledged(writers), 30_000, `cycle ${cycle}: every client writing through the restarted server`);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 300));
      const acked = writers.map((writer) => writer.acked);
      server.kill("SIGKILL");
      const exit = await server.exit();
      expect(exit.signal, `cycle ${cycle}: the server died by SIGKILL; stderr: ${server.stderr}`).toBe("SIGKILL");
      kills++;
      lost += await countLost(options.openServerStorage, acked, `${options.label} cycle ${cycle}`);
      server = await startServer(port, options.db);
    }
    for (const { client } of writers) await client.stopWriting();
    for (const { client } of writers) await client.map.waitForSync({ timeoutMs: 30_000 });
  } finally {
    server.kill("SIGKILL");
    await server.exited;
  }
  const acknowledged = writers.reduce((sum, { client }) => sum + client.acknowledged(), 0);
  try {
    const storage = await options.openServerStorage();
    try {
      for (const { client } of writers) await expectSameLog(storage, client, options.label);
    } finally {
      await storage.close();
    }
  } finally {
    for (const { client } of writers) await client.close();
  }
  for (const [i, { client }] of writers.entries()) console.info(`reliability: ${options.label} writer ${i}: ${describeLatencies(client.latencies)}`);
  console.info(`reliability: ${options.label} crash loop: ${kills} SIGKILLs survived, ${acknowledged} acknowledged writes, ${lost} lost`);
  return { kills, acknowledged, lost };
}

/** Transactions acknowledged before the kill that storage does not hold (reported, then counted). */
async function countLost(open: () => Promise<StorageAdapter>, acked: readonly (KnownState | undefined)[], context: string): Promise<number> {
  const storage = await open();
  let lost = 0;
  try {
    for (const known of acked) {
      if (known === undefined) continue;
      const stored = await storage.knownState(known.id);
      for (const [session, count] of Object.entries(known.sessions) as [SessionId, number][]) {
        const held = stored?.sessions[session] ?? 0;
        if (held < count) {
          console.error(`${context}: ${known.id} ${session}: ${count} acknowledged, ${held} stored`);
          lost += count - held;
        }
      }
    }
  } finally {
    await storage.close();
  }
  return lost;
}

/** The server holds exactly the client's map log: one session, the same transactions. */
async function expectSameLog(storage: StorageAdapter, client: HonestClient, label: string): Promise<void> {
  const id = client.map.id;
  const clientStorage = client.node.storage ?? expect.fail("clients have storage");
  const server = await transactionsOf(storage, id);
  const own = await transactionsOf(clientStorage, id);
  expect([...server.keys()], `${label}: ${id} holds the client's one session`).toEqual([...own.keys()]);
  expect(own.size).toBe(1);
  for (const [session, txs] of own) expect(server.get(session), `${label}: ${session} is the client's own log, unforked`).toEqual(txs);
}

async function transactionsOf(storage: StorageAdapter, id: CoId): Promise<Map<SessionId, string[]>> {
  const sessions = new Map<SessionId, string[]>();
  for await (const piece of storage.load(id)) {
    for (const [session, stored] of Object.entries(piece.sessions) as [SessionId, { after: number; transactions: readonly string[] }][]) {
      const held = sessions.get(session) ?? [];
      expect(stored.after).toBe(held.length);
      held.push(...stored.transactions);
      sessions.set(session, held);
    }
  }
  return sessions;
}

/** A cosync server in a child process on `port`, once it listens. */
export async function startServer(port: number, db: string, logLevel = "silent"): Promise<Spawned> {
  const server = new Spawned(process.execPath, [serverScript, String(port), db, logLevel]);
  await listeningUrl(server);
  return server;
}

