// The protocol's required behaviours (docs/protocol.md), one case each. A case throws a
// CaseFailure saying what it expected and what it saw; cosync's extensions (error notices) are
// checked only when the server announces them.
import type { CoId, ContentMessage, CryptoProvider, KnownState } from "@cosync/core";
import { type Author, bigMap, createAuthor, freshMap, onlySession, tampered } from "./fixtures.js";
import type { ConformanceSocketConstructor, WireConnection, WireEntry } from "./wire-connection.js";

export interface CaseContext {
  readonly url: string;
  readonly WebSocket: ConformanceSocketConstructor;
  readonly crypto: CryptoProvider;
  /** What the server announced (GET /protocol), e.g. "error-notices". */
  readonly extensions: ReadonlySet<string>;
  /** How long to wait for each answer. */
  readonly timeoutMs: number;
  /** A connection closed when the case ends. */
  connect(): Promise<WireConnection>;
}

export interface ConformanceCase {
  readonly name: string;
  /** Only run when the server announces this extension. */
  readonly extension?: string;
  run(ctx: CaseContext): Promise<void>;
}

export class CaseFailure extends Error {
  readonly expected: string;
  readonly seen: string;
  constructor(expected: string, seen: string) {
    super(`expected ${expected}; saw ${seen}`);
    this.expected = expected;
    this.seen = seen;
  }
}

const MAX_PIECE_BYTES = 100 * 1024;

const show = (value: unknown) => (value === undefined ? "nothing" : JSON.stringify(value).slice(0, 400));
const isKnown = (id: CoId) => (entry: WireEntry) => entry.action === "known" && entry.id === id;

/** The sessions of `want` are all covered by `have`. */
function covers(have: unknown, want: KnownState): boolean {
  const sessions = (have as { sessions?: Record<string, number> } | undefined)?.sessions ?? {};
  return Object.entries(want.sessions).every(([session, count]) => (sessions[session] ?? 0) >= count);
}

/** Uploads the author's account, group and map (one frame, dependencies first) and waits for each ack. */
async function upload(ctx: CaseContext, author: Author, extra: ContentMessage[] = []): Promise<WireConnection> {
  const connection = await ctx.connect();
  const messages = [...author.uploads(), ...extra];
  connection.send(...messages);
  for (const id of new Set(messages.map((message) => message.id))) {
    const want = author.known(id);
    const ack = await connection.waitFor((entry) => isKnown(id)(entry) && covers(entry, want), ctx.timeoutMs);
    if (ack === undefined) throw new CaseFailure(`a known for ${id} covering ${show(want.sessions)}`, show(connection.entries.filter(isKnown(id)).at(-1)));
  }
  return connection;
}

/** What a fresh connection is told about `id` when it loads it knowing nothing. */
async function loadFresh(ctx: CaseContext, id: CoId, settle: (c: WireConnection) => Promise<unknown>): Promise<WireConnection> {
  const connection = await ctx.connect();
  connection.send({ action: "load", id, header: false, sessions: {} });
  await settle(connection);
  return connection;
}

const notice = (connection: WireConnection, code: string, ctx: CaseContext) =>
  connection.waitFor((entry) => (entry.error as { code?: string } | undefined)?.code === code, ctx.timeoutMs);

export const conformanceCases: readonly ConformanceCase[] = [
  {
    name: "load of an unknown value is answered: known, header false (not found)",
    async run(ctx) {
      const id = freshMap(createAuthor(ctx.crypto));
      const connection = await ctx.connect();
      connection.send({ action: "load", id, header: false, sessions: {} });
      const known = await connection.waitFor(isKnown(id), ctx.timeoutMs);
      if (known?.header !== false || Object.keys((known.sessions as object) ?? {}).length !== 0) {
        throw new CaseFailure(`known ${id} with header false and no sessions`, show(known ?? connection.entries));
      }
    },
  },
  {
    name: "content is acknowledged with the full known state",
    async run(ctx) {
      await upload(ctx, createAuthor(ctx.crypto));
    },
  },
  {
    name: "load is answered with content, dependencies before dependants",
    async run(ctx) {
      const author = createAuthor(ctx.crypto);
      await upload(ctx, author);
      const want = author.known(author.mapId);
      const reader = await loadFresh(ctx, author.mapId, (c) =>
        c.until(() => (c.entries.some((e) => e.action === "content" && e.id === author.mapId) ? true : undefined), ctx.timeoutMs),
      );
      const order = reader.entries.filter((e) => e.action === "content").map((e) => e.id);
      const at = (id: CoId) => order.indexOf(id);
      if (at(author.mapId) < 0) throw new CaseFailure(`content of ${author.mapId}`, show(reader.entries));
      if (at(author.groupId) < 0 || at(author.accountId) < 0 || at(author.groupId) > at(author.mapId) || at(author.accountId) > at(author.groupId)) {
        throw new CaseFailure("content of account, then group, then map", `content order ${show(order)}`);
      }
      const sessions: Record<string, number> = {};
      for (const entry of reader.entries.filter((e) => e.action === "content" && e.id === author.mapId)) {
        for (const [session, piece] of Object.entries(entry.new as Record<string, { after: number; newTransactions: unknown[] }>)) {
          sessions[session] = piece.after + piece.newTransactions.length;
        }
      }
      if (!covers({ sessions }, want)) throw new CaseFailure(`map content up to ${show(want.sessions)}`, show(sessions));
    },
  },
  {
    name: "load of a value the client holds in full is answered with known",
    async run(ctx) {
      const author = createAuthor(ctx.crypto);
      await upload(ctx, author);
      const want = author.known(author.mapId);
      const connection = await ctx.connect();
      connection.send({ action: "load", ...want });
      const known = await connection.waitFor(isKnown(author.mapId), ctx.timeoutMs);
      if (known === undefined || !covers(known, want) || known.header !== true) throw new CaseFailure(`known ${show(want)}`, show(known ?? connection.entries));
      if (connection.entries.some((e) => e.action === "content" && e.id === author.mapId)) throw new CaseFailure("no content (nothing is missing)", "content");
    },
  },
  {
    name: "content with a gap is corrected and not stored",
    async run(ctx) {
      const author = createAuthor(ctx.crypto, 1);
      const connection = await upload(ctx, author);
      const before = author.known(author.mapId);
      const map = author.node.getMap(author.mapId);
      map?.set("later1", 1, "trusting");
      const middle = author.known(author.mapId);
      map?.set("later2", 2, "trusting");
      // Only the last transaction: it starts after one the server never got.
      const [gap] = author.content(author.mapId, middle);
      if (gap === undefined) throw new Error("no content after the middle state");
      const from = connection.entries.length;
      connection.send(gap);
      const correction = await connection.waitFor((e) => isKnown(author.mapId)(e) && e.isCorrection === true, ctx.timeoutMs, from);
      if (correction === undefined || !covers(correction, before) || covers(correction, middle)) {
        throw new CaseFailure(`known ${author.mapId} with isCorrection true and the server's state ${show(before.sessions)}`, show(connection.entries.slice(from)));
      }
      if (ctx.extensions.has("error-notices") && (await notice(connection, "Gap", ctx)) === undefined) {
        throw new CaseFailure("a Gap error notice (announced extension)", show(connection.entries.slice(from)));
      }
    },
  },
  {
    name: "content without a header for an unknown value is corrected (header false)",
    async run(ctx) {
      const author = createAuthor(ctx.crypto);
      await upload(ctx, author);
      const id = freshMap(author);
      const [first] = author.content(id);
      if (first === undefined) throw new Error("no content");
      const { header: _header, ...headless } = first;
      const connection = await ctx.connect();
      connection.send(headless);
      const correction = await connection.waitFor(isKnown(id), ctx.timeoutMs);
      if (correction?.isCorrection !== true || correction.header !== false) {
        throw new CaseFailure(`known ${id} with isCorrection true and header false`, show(correction ?? connection.entries));
      }
    },
  },
  {
    name: "large content is streamed in pieces of at most 100 KiB (plus one transaction)",
    async run(ctx) {
      const author = createAuthor(ctx.crypto);
      const txBytes = 10 * 1024;
      const id = bigMap(author, 40, txBytes);
      await upload(ctx, author, author.content(id));
      const want = author.known(id);
      const reader = await loadFresh(ctx, id, (c) =>
        c.until(() => {
          const sessions: Record<string, number> = {};
          for (const e of c.entries.filter((e) => e.action === "content" && e.id === id)) {
            for (const [s, p] of Object.entries(e.new as Record<string, { after: number; newTransactions: unknown[] }>)) sessions[s] = p.after + p.newTransactions.length;
          }
          return covers({ sessions }, want) ? true : undefined;
        }, ctx.timeoutMs),
      );
      const pieces = reader.entries.filter((e) => e.action === "content" && e.id === id);
      const sizes = pieces.map((piece) => JSON.stringify(piece).length);
      if (pieces.length < 2 || sizes.some((size) => size > MAX_PIECE_BYTES + 2 * txBytes)) {
        throw new CaseFailure(`~400 KiB sent as several content pieces of ≤ ${MAX_PIECE_BYTES} bytes plus one transaction`, `${pieces.length} pieces of ${show(sizes)} characters`);
      }
    },
  },
  {
    name: "the server pings an idle connection (liveness)",
    async run(ctx) {
      const connection = await ctx.connect();
      const ping = await connection.until(() => connection.pings[0], Math.max(ctx.timeoutMs, 5000));
      if (ping === undefined || typeof ping.time !== "number") throw new CaseFailure('a ping {"type":"ping","time":…} within 5 s', show(ping));
    },
  },
  {
    name: "content with a bad signature is refused (not stored, not acknowledged)",
    async run(ctx) {
      const author = createAuthor(ctx.crypto);
      const connection = await upload(ctx, author);
      const id = freshMap(author);
      const [first] = author.content(id);
      if (first === undefined) throw new Error("no content");
      const forged = tampered(first);
      const from = connection.entries.length;
      connection.send(forged);
      const session = onlySession(forged);
      if (ctx.extensions.has("error-notices") && (await notice(connection, "InvalidSignature", ctx)) === undefined) {
        throw new CaseFailure("an InvalidSignature error notice (announced extension)", show(connection.entries.slice(from)));
      }
      // The header is valid and may be kept; the forged session must not be.
      const answers = (e: WireEntry) => (e.action === "known" || e.action === "content") && e.id === id;
      const reader = await loadFresh(ctx, id, (c) => c.waitFor(answers, ctx.timeoutMs));
      const stored = [...connection.entries.slice(from), ...reader.entries].filter(answers);
      const leaked = stored.find((e) => ((e.sessions ?? e.new) as Record<string, unknown> | undefined)?.[session] !== undefined);
      if (leaked !== undefined) throw new CaseFailure(`no state of ${session} (forged)`, show(leaked));
      if (reader.entries.find(answers) === undefined) throw new CaseFailure(`known or content answering the load of ${id}`, show(reader.entries));
    },
  },
  {
    name: "content whose header does not hash to its id is refused",
    async run(ctx) {
      const author = createAuthor(ctx.crypto);
      const connection = await upload(ctx, author);
      const [real] = author.content(freshMap(author));
      const wrongId = freshMap(createAuthor(ctx.crypto));
      if (real === undefined) throw new Error("no content");
      const from = connection.entries.length;
      connection.send({ ...real, id: wrongId });
      if (ctx.extensions.has("error-notices") && (await notice(connection, "InvalidHeader", ctx)) === undefined) {
        throw new CaseFailure("an InvalidHeader error notice (announced extension)", show(connection.entries.slice(from)));
      }
      const reader = await loadFresh(ctx, wrongId, (c) => c.waitFor(isKnown(wrongId), ctx.timeoutMs));
      const known = reader.entries.find(isKnown(wrongId));
      if (known?.header !== false) throw new CaseFailure(`known ${wrongId} header false (nothing stored under a forged id)`, show(known ?? reader.entries));
    },
  },
  {
    name: "a subscribed client receives new content another client writes",
    async run(ctx) {
      const author = createAuthor(ctx.crypto, 1);
      const writer = await upload(ctx, author);
      const before = author.known(author.mapId);
      const subscriber = await ctx.connect();
      subscriber.send({ action: "load", ...before });
      if ((await subscriber.waitFor(isKnown(author.mapId), ctx.timeoutMs)) === undefined) throw new CaseFailure("known answering the load", show(subscriber.entries));
      author.node.getMap(author.mapId)?.set("news", "fresh", "trusting");
      writer.send(...author.content(author.mapId, before));
      const want = author.known(author.mapId);
      const forwarded = await subscriber.waitFor((e) => e.action === "content" && e.id === author.mapId, ctx.timeoutMs);
      const piece = Object.values((forwarded?.new as Record<string, { after: number; newTransactions: unknown[] }>) ?? {})[0];
      if (piece === undefined || piece.after + piece.newTransactions.length !== Object.values(want.sessions)[0]) {
        throw new CaseFailure(`content of ${author.mapId} up to ${show(want.sessions)} forwarded to the subscriber`, show(forwarded ?? subscriber.entries));
      }
    },
  },
  {
    name: "a deleted value is served as its header and delete session only",
    async run(ctx) {
      const author = createAuthor(ctx.crypto);
      const connection = await upload(ctx, author);
      const before = author.known(author.mapId);
      author.node.deleteCoValue(author.mapId);
      connection.send(...author.content(author.mapId, before));
      const deleteSession = Object.keys(author.known(author.mapId).sessions).find((s) => s.endsWith("$"));
      const acked = await connection.waitFor((e) => isKnown(author.mapId)(e) && deleteSession !== undefined && covers(e, { ...before, sessions: { [deleteSession]: 1 } }), ctx.timeoutMs);
      if (acked === undefined) throw new CaseFailure(`a known acknowledging the delete session ${deleteSession}`, show(connection.entries.filter(isKnown(author.mapId))));
      const reader = await loadFresh(ctx, author.mapId, (c) => c.waitFor((e) => e.action === "content" && e.id === author.mapId, ctx.timeoutMs));
      const sessions = reader.entries.filter((e) => e.action === "content" && e.id === author.mapId).flatMap((e) => Object.keys(e.new as object));
      if (sessions.length === 0 || sessions.some((s) => !s.endsWith("$"))) {
        throw new CaseFailure("content with only the delete session (ending in $)", `sessions ${show(sessions)}`);
      }
    },
  },
];
