// The privacy scan: realistic use of private values through a server in a child process, then
// every byte the server kept — its storage (SQLite files with their WAL, or every row of its
// Postgres tables, bytea decoded) and its logs at trace level — searched for the plaintext of
// those values and for any secret (agent, key, invite).
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type CoId, createAccountNode, createMemoryStorage, type LocalNode } from "@cosync/core";
import { connectWebSocket } from "@cosync/transport-ws";
import Database from "better-sqlite3";
import pg from "pg";
import { WebSocket } from "ws";
import { testCrypto } from "../helpers/nodes.js";

/** Something that must never appear in what the server keeps. */
export interface Needle {
  readonly label: string;
  readonly text: string;
}

/** Where a needle was found. */
export interface Finding {
  readonly needle: string;
  readonly where: string;
  /** What surrounds the first occurrence (printable characters only). */
  readonly context: string;
}

/** Any secret cojson and cosync know, by its prefix: none may appear on a blind server, except… */
const anySecret = /(?:keySecret|sealerSecret|signerSecret|inviteSecret)_z[1-9A-HJ-NP-Za-km-z]+/g;

/**
 * Every secret found in the haystacks (UTF-8 text) other than `published`: the read keys a group
 * reveals `_for_everyone` in the clear, by design (cojson's public groups, such as each account's
 * profile group).
 */
export function scanSecrets(haystacks: ReadonlyMap<string, Buffer>, published: ReadonlySet<string>): Finding[] {
  const findings: Finding[] = [];
  for (const [where, bytes] of haystacks) {
    const text = bytes.toString("latin1");
    for (const match of text.matchAll(anySecret)) {
      // A raw file may hold a published key cut by a page boundary: a prefix of one is published too.
      if (published.has(match[0]) || [...published].some((key) => key.startsWith(match[0]))) continue;
      const at = match.index ?? 0;
      findings.push({ needle: `a secret ${match[0].slice(0, 16)}…`, where, context: text.slice(Math.max(0, at - 160), at + 60).replace(/[^\x20-\x7e]/g, ".") });
    }
  }
  return findings;
}

/** Searches each haystack (raw bytes, as stored) for each needle, as UTF-8 and as UTF-16 (SQLite may store either). */
export function scan(haystacks: ReadonlyMap<string, Buffer>, needles: readonly Needle[]): Finding[] {
  const findings: Finding[] = [];
  for (const [where, bytes] of haystacks) {
    for (const needle of needles) {
      const at = Math.max(bytes.indexOf(Buffer.from(needle.text, "utf8")), bytes.indexOf(Buffer.from(needle.text, "utf16le")));
      if (at >= 0) {
        const context = bytes.subarray(Math.max(0, at - 160), at + 120).toString("latin1").replace(/[^\x20-\x7e]/g, ".");
        findings.push({ needle: needle.label, where, context });
      }
    }
  }
  return findings;
}

/** Every file of a SQLite database: the file, its WAL and shared memory, any journal. */
export async function sqliteFiles(file: string): Promise<Map<string, Buffer>> {
  const dir = join(file, "..");
  const base = file.slice(dir.length + 1);
  const haystacks = new Map<string, Buffer>();
  for (const name of await readdir(dir)) {
    if (name.startsWith(base)) haystacks.set(name, await readFile(join(dir, name)));
  }
  return haystacks;
}

/** Every row of every table of a SQLite database, as JSON text (what a page boundary may cut in the raw file is whole here). */
export function sqliteRows(file: string): Map<string, Buffer> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const haystacks = new Map<string, Buffer>();
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    for (const { name } of tables) {
      const rows = db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[];
      const parts = rows.flatMap((row) => Object.values(row).map((value) => (Buffer.isBuffer(value) ? value : Buffer.from(`${String(value)}\n`))));
      haystacks.set(`table ${name}`, Buffer.concat(parts));
    }
  } finally {
    db.close();
  }
  return haystacks;
}

/** Every row of every table of a Postgres database, as JSON text with bytea values decoded to bytes. */
export async function postgresRows(url: string): Promise<Map<string, Buffer>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const haystacks = new Map<string, Buffer>();
  try {
    const tables = await client.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'");
    for (const { name } of tables.rows) {
      const rows = await client.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${name}" t`);
      const text = rows.rows.map((r) => r.row).join("\n");
      // bytea comes out as "\\x<hex>": decode it, so bytes stored there are searched as stored.
      const decoded = [...text.matchAll(/\\\\x([0-9a-f]+)/g)].map((match) => Buffer.from(match[1] as string, "hex"));
      haystacks.set(`table ${name}`, Buffer.concat([Buffer.from(text), ...decoded]));
    }
  } finally {
    await client.end();
  }
  return haystacks;
}

export interface UseReport {
  /** The private values written and the secrets the clients held. */
  readonly needles: Needle[];
  /** Read keys the clients' groups reveal to everyone (public by design). */
  readonly published: ReadonlySet<string>;
  /** A value written in the clear on purpose (the control), and where. */
  readonly trusting: Needle;
}

async function accountOn(url: string, name: string): Promise<LocalNode> {
  const node = createAccountNode({ crypto: await testCrypto(), storage: createMemoryStorage(), gc: false, name });
  node.syncManager.addPeer(await connectWebSocket({ url, WebSocket: WebSocket as never }));
  await node.syncManager.waitForAllSynced();
  return node;
}

async function loaded(node: LocalNode, id: CoId): Promise<void> {
  const outcome = await node.load(id);
  if (outcome.status !== "loaded") throw new Error(`${id} did not load`);
}

/**
 * Alice, Bob and Carol use groups, a private map and list, an invite and a removal (which rotates
 * the read key) through the server at `url`; `withTrusting` also writes one value in the clear.
 */
export async function realisticUse(url: string, withTrusting: boolean): Promise<UseReport> {
  const marker = (what: string) => `private-${what}-${Math.random().toString(36).slice(2, 12)}`;
  const secrets = { map: marker("map"), list: marker("list"), bob: marker("bob"), afterRemoval: marker("after-removal"), text: marker("text") };
  const trusting: Needle = { label: "the trusting control value", text: `trusting-in-the-clear-${Math.random().toString(36).slice(2, 12)}` };
  const [alice, bob, carol] = [await accountOn(url, "Alice"), await accountOn(url, "Bob"), await accountOn(url, "Carol")];
  try {
    const group = alice.createGroup({ name: "team" });
    const map = group.createMap();
    map.set("secret", secrets.map, "private");
    const list = group.createList();
    list.append(secrets.list, "private");
    group.createPlainText(secrets.text);
    if (withTrusting) map.set("public", trusting.text, "trusting");
    const invite = group.createInvite("writer");
    await loaded(alice, carol.accountId as CoId);
    group.addMember(carol.accountId as CoId, "reader");
    await alice.syncManager.waitForAllSynced();

    await loaded(bob, group.id);
    bob.getGroup(group.id)?.acceptInvite(invite);
    await loaded(bob, map.id);
    bob.getMap(map.id)?.set("from-bob", secrets.bob, "private");
    await bob.syncManager.waitForAllSynced();

    await loaded(alice, bob.accountId as CoId);
    group.removeMember(bob.accountId as CoId);
    map.set("after-removal", secrets.afterRemoval, "private");
    await alice.syncManager.waitForAllSynced();

    // The use was real: Carol, a reader, reads what was written after the rotation.
    await loaded(carol, map.id);
    const seen = await waitForValue(carol, map.id, "after-removal");
    if (seen !== secrets.afterRemoval) throw new Error(`Carol read ${String(seen)} after the rotation`);

    const needles: Needle[] = [
      ...Object.entries(secrets).map(([label, text]) => ({ label: `private value (${label})`, text })),
      { label: "the invite secret", text: invite },
      ...[alice, bob, carol].flatMap((node, i) => [
        { label: `agent secret of client ${i}`, text: node.agentSecret },
        ...node.agentSecret.split("/").map((half) => ({ label: `agent secret half of client ${i}`, text: half })),
      ]),
    ];
    return { needles, trusting, published: publishedKeys([alice, bob, carol]) };
  } finally {
    await Promise.all([alice, bob, carol].map((node) => node.close()));
  }
}

/** The read keys every group these nodes hold reveals `_for_everyone`. */
function publishedKeys(nodes: readonly LocalNode[]): Set<string> {
  const published = new Set<string>();
  for (const node of nodes) {
    for (const entry of node.allEntries()) {
      if (entry.log?.header.ruleset.type !== "group") continue;
      for (const [key, values] of node.getGroup(entry.id)?.state.entries ?? []) {
        if (!key.endsWith("_for_everyone")) continue;
        for (const { value } of values) if (typeof value === "string") published.add(value);
      }
    }
  }
  return published;
}

/** The value of `key` once it arrives (undefined if it has not within 10 s). */
async function waitForValue(node: LocalNode, id: CoId, key: string): Promise<unknown> {
  const handle = node.getMap(id);
  if (handle === undefined) return undefined;
  if (handle.get(key) !== undefined) return handle.get(key);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      resolve(handle.get(key));
    };
    const timer = setTimeout(done, 10_000);
    const unsubscribe = handle.subscribe(() => {
      if (handle.get(key) !== undefined) done();
    });
  });
}
