// Test fixtures (not exported, not built) shared by the server's attack, review and availability
// tests: servers and raw clients closed after each test, made-up ids, and session pieces signed
// as core signs them or forged (a well-formed signature by nobody entitled to sign).
import {
  type AgentSecret,
  type CoId,
  type CoMapView,
  type CoValueHeader,
  idForHeader,
  type LocalNode,
  makeTrustingTransaction,
  type SessionId,
  SessionLog,
  type SessionNewContent,
  type Signature,
  signerSecretOfAgent,
  type TrustingTransaction,
} from "@cosync/core";
import { afterEach, expect } from "vitest";
import { namedAccountNode, plainHeader, testCrypto } from "../../../../tests/helpers/nodes.js";
import type { SyncServerOptions } from "../server-options.js";
import { type SyncServer, startSyncServer } from "../start-sync-server.js";
import { bridgeNode, type Entry, RawClient } from "./raw-client.js";

export const crypto = await testCrypto();
export const blake3 = (bytes: Uint8Array) => crypto.provider.blake3(bytes);

/** Registers an afterEach that closes, newest first, everything `track`ed during a test (even one failing midway). */
export function closedAfterEachTest() {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const track = (cleanup: () => Promise<void>) => void cleanups.push(cleanup);
  const bridged = async (node: LocalNode, server: SyncServer) => {
    const bridge = await bridgeNode(node, server.url);
    track(() => bridge.close());
    return bridge;
  };
  return {
    track,
    /** A server on port 0, in memory unless told otherwise. */
    async start(options: SyncServerOptions = {}): Promise<SyncServer> {
      const server = await startSyncServer({ port: 0, inMemory: true, processMetrics: false, log: { level: "silent" }, ...options });
      track(() => server.close());
      return server;
    },
    async raw(server: SyncServer): Promise<RawClient> {
      const client = await RawClient.connect(server.url);
      track(() => client.close());
      return client;
    },
    /** A cosync node synced with the server (its raw frames visible in the returned `raw`). */
    bridged,
    /** A named account connected to the server, with a map of its own it writes to (synced). */
    async victimWithValue(server: SyncServer): Promise<Victim> {
      const victim = await namedAccountNode("Victim");
      const bridge = await bridged(victim, server);
      const map = victim.createGroup().createMap();
      map.set("mine", "yes", "trusting");
      await within(victim.syncManager.waitForAllSynced(), 3000, "the victim's first sync");
      return { victim, bridge, map, accountId: victim.accountId as CoId };
    },
  };
}

export interface Victim {
  readonly victim: LocalNode;
  readonly bridge: Awaited<ReturnType<typeof bridgeNode>>;
  readonly map: CoMapView;
  readonly accountId: CoId;
}

/** The victim writes once more: acknowledged by the server within 3 s, and not refused. */
export async function expectHonestWriteAccepted(victim: Victim, value = "honest"): Promise<void> {
  const client = victim.bridge.raw;
  const before = client.entries.length;
  victim.map.set("later", value, "trusting");
  const refused = client.waitFor((entry) => isNotice(entry) && client.entries.indexOf(entry) >= before, "a refusal", 3000);
  const outcome = await Promise.race([
    within(victim.map.waitForSync(), 3000, "the victim's honest write acknowledged").then(() => "acknowledged"),
    refused.then(
      (entry) => `refused: ${JSON.stringify(entry.error)}`,
      () => new Promise<never>(() => {}),
    ),
  ]);
  expect(outcome).toBe("acknowledged");
}

/** Rejects with `what` if `promise` has not settled within `ms` (the bugs show as hangs). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The id of a value nobody ever created: also a made-up account id for session names. */
export const unknownId = (): CoId => idForHeader(plainHeader(crypto), blake3);
export const newAgent = (): AgentSecret => crypto.newRandomAgentSecret();
export const sessionOf = (owner: string): SessionId => `${owner}_session_z${crypto.newSessionRandomPart()}` as SessionId;
export const deleteSessionOf = (owner: string): SessionId => `${owner}_session_d${crypto.newDeleteSessionRandomPart()}$` as SessionId;
export const tx = (changes: unknown[] = [{ op: "set", key: "k", value: "v" }], meta?: Record<string, string>): TrustingTransaction =>
  makeTrustingTransaction(changes as never, Date.now(), meta);

/** A validly signed first piece of a fresh session (hash chain and signature as core makes them). */
export function signedPiece(sessionId: SessionId, agent: AgentSecret, txs: TrustingTransaction[]): SessionNewContent {
  return signedPieces(sessionId, agent, [txs])[0] as SessionNewContent;
}

/** Consecutive pieces of one fresh session, each validly signed at its end (as a writer sends them). */
export function signedPieces(sessionId: SessionId, agent: AgentSecret, batches: TrustingTransaction[][]): SessionNewContent[] {
  const log = new SessionLog(sessionId, crypto.provider.createHashChain());
  return batches.map((batch) => {
    const after = log.count;
    for (const transaction of batch) log.appendOwn(transaction, signerSecretOfAgent(agent), crypto);
    return { after, newTransactions: batch, lastSignature: log.lastSignature as Signature };
  });
}

const forgedSignature = crypto.sign(signerSecretOfAgent(newAgent()), "hash_zforged") as Signature;

/** A piece whose signature is well-formed but by nobody entitled to sign it. */
export const forgedPiece = (txs: TrustingTransaction[], after = 0): SessionNewContent => ({ after, newTransactions: txs, lastSignature: forgedSignature });

export function content(id: CoId, pieces: Record<string, SessionNewContent>, header?: CoValueHeader) {
  return { action: "content", id, ...(header === undefined ? {} : { header }), priority: 3, new: pieces };
}

export const isNotice = (entry: Entry) => entry.error !== undefined;
