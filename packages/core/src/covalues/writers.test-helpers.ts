// Scaffolding shared by the CoValue materialisers' unit and property tests: transactions of
// named sessions, random writers editing their own replicas, and delivery of the resulting
// transactions shuffled, duplicated and in batches. Test-only: the build excludes
// `*.test-helpers.ts`, and fast-check is a root devDependency.
import { fc } from "@fast-check/vitest";
import { expect } from "vitest";
import type { JsonValue } from "../encoding/canonical-json.js";
import type { SessionId, SessionOwner } from "../ids/session-id.js";
import type { DecodedTransaction } from "./decoded-transaction.js";

export const sessionA = "co_zAlice_session_zA1" as SessionId;
export const sessionB = "co_zBob_session_zB1" as SessionId;

/** Three writers' sessions, one account each. */
export const writerSessions = ["co_zAlice_session_zA", "co_zBob_session_zB", "co_zCarol_session_zC"] as SessionId[];

/** An index into three sessions. */
export const arbSession = fc.integer({ min: 0, max: 2 });
/** madeAt from a tiny range, so ties across sessions and madeAt going backwards are common. */
export const arbMadeAt = fc.integer({ min: 0, max: 4 });

/** Transaction `txIndex` of `sessionID`, authored by the account (or agent) the session belongs to. */
export function tx(
  sessionID: SessionId,
  txIndex: number,
  madeAt: number,
  changes: readonly JsonValue[],
  privacy: DecodedTransaction["privacy"] = "private",
): DecodedTransaction {
  const author = sessionID.slice(0, sessionID.indexOf("_session_")) as SessionOwner;
  return { txId: { sessionID, txIndex }, author, madeAt, changes, privacy };
}

/** One transaction per spec, in order, numbered per session. */
export function transactionsOf<Spec extends { readonly session: number; readonly madeAt: number }>(
  sessions: readonly SessionId[],
  specs: readonly Spec[],
  changesOf: (spec: Spec) => readonly JsonValue[],
  privacy: DecodedTransaction["privacy"],
): DecodedTransaction[] {
  const nextTxIndex = sessions.map(() => 0);
  return specs.map((spec) => {
    const txIndex = nextTxIndex[spec.session] ?? 0;
    nextTxIndex[spec.session] = txIndex + 1;
    return tx(sessions[spec.session] as SessionId, txIndex, spec.madeAt, changesOf(spec), privacy);
  });
}

export const arbDelivery = fc.record({
  seed: fc.nat(),
  duplicates: fc.integer({ min: 0, max: 3 }),
  batches: fc.integer({ min: 1, max: 6 }),
});
export type Delivery = typeof arbDelivery extends fc.Arbitrary<infer T> ? T : never;

/** `txs` shuffled, some repeated, cut into batches (deterministic from the delivery's seed). */
export function deliver(txs: readonly DecodedTransaction[], { seed, duplicates, batches }: Delivery): DecodedTransaction[][] {
  let state = seed;
  const next = (below: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state % below;
  };
  const items = [...txs];
  for (let index = 0; index < duplicates * 3 && txs.length > 0; index++) items.push(txs[next(txs.length)] as DecodedTransaction);
  for (let index = items.length - 1; index > 0; index--) {
    const other = next(index + 1);
    [items[index], items[other]] = [items[other] as DecodedTransaction, items[index] as DecodedTransaction];
  }
  const cuts = Array.from({ length: batches - 1 }, () => next(items.length + 1)).sort((a, b) => a - b);
  return [0, ...cuts].map((start, index) => items.slice(start, [...cuts, items.length][index]));
}

/** What every materialiser's content offers: transactions applied incrementally. */
export interface Replica {
  apply(txs: readonly DecodedTransaction[]): unknown;
}

/** Applies `txs` to `replica` batch by batch as `delivery` hands them over; returns `replica`. */
export function applyDelivered<R extends Replica>(replica: R, txs: readonly DecodedTransaction[], delivery: Delivery): R {
  for (const batch of deliver(txs, delivery)) replica.apply(batch);
  return replica;
}

/** How a property test reads one materialiser: from scratch, from an empty replica, and as a comparable snapshot. */
export interface Materialiser<R extends Replica, S> {
  fromScratch(txs: readonly DecodedTransaction[]): R;
  empty(): R;
  snapshot(replica: R): S;
}

/**
 * Expects `txs` applied incrementally, as each of `deliveries` hands them over, to give the same
 * snapshot as `txs` materialised from scratch; returns the from-scratch snapshot.
 */
export function expectEveryDeliveryConverges<R extends Replica, S>(
  txs: readonly DecodedTransaction[],
  deliveries: readonly Delivery[],
  { fromScratch, empty, snapshot }: Materialiser<R, S>,
): S {
  const reference = snapshot(fromScratch(txs));
  for (const delivery of deliveries) {
    expect(snapshot(applyDelivered(empty(), txs, delivery))).toEqual(reference);
  }
  return reference;
}

/** A writer editing its own replica from what it has seen. */
export interface Writer<R extends Replica> {
  readonly sessionID: SessionId;
  readonly replica: R;
  readonly seen: DecodedTransaction[];
  nextTxIndex: number;
}

export function newWriter<R extends Replica>(sessionID: SessionId, replica: R): Writer<R> {
  return { sessionID, replica, seen: [], nextTxIndex: 0 };
}

/** A writer's edit, at a madeAt of its choosing. */
export interface WriterEdit {
  readonly session: number;
  readonly madeAt: number;
}

/** Writer `from` hands everything it has seen to writer `to`. */
export interface WriterSync {
  readonly kind: "sync";
  readonly from: number;
  readonly to: number;
}

/** Edits by the three writers, and now and then a pairwise sync. */
export function arbWriterCommand<Edit extends WriterEdit>(arbEdit: fc.Arbitrary<Edit>): fc.Arbitrary<Edit | WriterSync> {
  return fc.oneof(
    { arbitrary: arbEdit, weight: 4 },
    { arbitrary: fc.record({ kind: fc.constant("sync" as const), from: arbSession, to: arbSession }), weight: 1 },
  );
}

const isSync = (command: WriterEdit | WriterSync): command is WriterSync => (command as WriterSync).kind === "sync";

/**
 * Runs the commands on one writer per session: an edit becomes the transactions `edit` returns
 * the changes of (made at the edit's madeAt, applied to the writer's replica); a sync applies
 * everything one writer has seen to another. Returns every transaction made and the writers.
 */
export function simulateWriters<R extends Replica, Edit extends WriterEdit>(
  commands: readonly (Edit | WriterSync)[],
  createReplica: () => R,
  edit: (command: Edit, writer: Writer<R>) => readonly (readonly JsonValue[])[],
  privacy: DecodedTransaction["privacy"],
): { txs: DecodedTransaction[]; writers: Writer<R>[] } {
  const writers = writerSessions.map((sessionID) => newWriter(sessionID, createReplica()));
  const txs: DecodedTransaction[] = [];
  for (const command of commands) {
    if (isSync(command)) {
      const from = writers[command.from] as Writer<R>;
      const to = writers[command.to] as Writer<R>;
      to.replica.apply(from.seen);
      to.seen.push(...from.seen);
      continue;
    }
    const writer = writers[command.session] as Writer<R>;
    const made = edit(command, writer).map((changes) => tx(writer.sessionID, writer.nextTxIndex++, command.madeAt, changes, privacy));
    writer.replica.apply(made);
    writer.seen.push(...made);
    txs.push(...made);
  }
  return { txs, writers };
}
