// Data for the operator-command tests: real signed CoValues written by a core account node (a
// group, private maps in it), then copied as stored into SQLite files or Postgres databases
// straight through the storage adapters — fast enough for 100k transactions.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CoId, createAccountNode, createMemoryStorage, createMemoryStore, type StorageAdapter } from "@cosync/core";
import { openSqliteStorage } from "@cosync/storage-sqlite";
import { testCrypto } from "../helpers/nodes.js";
import type { Spawned } from "./serve-process.js";

/** What `writeSignedData` wrote, to check against. */
export interface SignedData {
  readonly store: ReturnType<typeof createMemoryStore>;
  readonly accountId: CoId;
  readonly groupId: CoId;
  readonly mapIds: readonly CoId[];
  readonly transactions: number;
}

/**
 * An account, a group it administers, and `maps` maps in that group with `writesPerMap` private
 * writes each (values `${secret} <map> <write>`), kept in a memory store.
 */
export async function writeSignedData(options: {
  maps: number;
  writesPerMap: number;
  secret?: string;
  privacy?: "private" | "trusting";
  /** Makes the group readable by everyone, so any cojson account can load the maps. */
  everyoneReads?: boolean;
}): Promise<SignedData> {
  const store = createMemoryStore();
  const node = createAccountNode({ crypto: await testCrypto(), storage: createMemoryStorage({ store }), name: "Operator test", gc: false });
  const group = node.createGroup();
  if (options.everyoneReads === true) group.addMember("everyone", "reader");
  const mapIds: CoId[] = [];
  for (let m = 0; m < options.maps; m++) {
    const map = group.createMap();
    for (let w = 0; w < options.writesPerMap; w++) map.set(`key${w % 50}`, `${options.secret ?? "value"} ${m} ${w}`, options.privacy);
    mapIds.push(map.id);
  }
  await node.close();
  return { store, accountId: node.accountId as CoId, groupId: group.id, mapIds, transactions: options.maps * options.writesPerMap };
}

/** Copies every value of `data` into `target` as stored (no verification: the fixture trusts itself). */
export async function copyInto(data: Pick<SignedData, "store">, target: StorageAdapter): Promise<number> {
  const source = createMemoryStorage({ store: data.store });
  const ids = (await source.listIds?.(undefined, Number.MAX_SAFE_INTEGER)) ?? [];
  const appends: Array<Promise<unknown>> = [];
  for (const id of ids) {
    for await (const piece of source.load(id)) {
      // A store that commits in call order takes a value's pieces pipelined; others one by one.
      if (target.appendsInOrder === true) appends.push(target.append(piece));
      else await target.append(piece);
    }
  }
  await Promise.all(appends);
  return ids.length;
}

/** A SQLite file holding `data`. */
export async function sqliteWith(data: Pick<SignedData, "store">, file: string): Promise<void> {
  await using storage = await openSqliteStorage({ file });
  await copyInto(data, storage);
}

/** Resolves with the first stderr line satisfying `match` (progress goes to stderr); rejects on exit or timeout. */
export function waitForStderrLine(proc: Spawned, match: (line: string) => boolean, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const stderr = proc.child.stderr;
    const check = () => {
      const line = proc.stderr.split("\n").find(match);
      if (line !== undefined) finish(undefined, line);
    };
    const onClose = () => finish(new Error(`exited before the stderr line waited for\nstdout: ${proc.stdout}\nstderr: ${proc.stderr}`));
    const timer = setTimeout(() => finish(new Error(`no such stderr line within ${timeoutMs} ms\nstderr: ${proc.stderr}`)), timeoutMs);
    function finish(error: Error | undefined, line?: string) {
      clearTimeout(timer);
      stderr?.off("data", onData);
      proc.child.off("close", onClose);
      if (error === undefined) resolve(line as string);
      else reject(error);
    }
    // Our listener runs after Spawned's own (registered first), so proc.stderr already holds the chunk.
    const onData = () => check();
    stderr?.on("data", onData);
    proc.child.once("close", onClose);
    check();
  });
}

/** A temporary directory removed on dispose. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await mkdtemp(join(tmpdir(), "cosync-ops-"));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}
