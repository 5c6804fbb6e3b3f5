import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import type { JsonValue } from "../encoding/canonical-json.js";
import type { SessionId, SessionOwner } from "../ids/session-id.js";
import {
  type CoListChange,
  CoListContent,
  listAppendChange,
  listAppendChanges,
  listDeleteChange,
  listInsertChange,
  listPrependChange,
  listReplaceChanges,
  materializeCoList,
} from "./co-list.js";
import type { DecodedTransaction } from "./decoded-transaction.js";

// Three writers edit their own replica from what they have seen, with madeAt drawn from a tiny
// range (so ties across sessions and madeAt going backwards are common), and sync pairwise now
// and then. Their logs are then delivered in other orders, duplicated and in batches.

const sessions = ["co_zAlice_session_zA", "co_zBob_session_zB", "co_zCarol_session_zC"] as SessionId[];

const arbCommand = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constantFrom("append", "appendMany", "prepend", "insert", "delete", "replace"),
      session: fc.integer({ min: 0, max: 2 }),
      madeAt: fc.integer({ min: 0, max: 4 }),
      index: fc.nat({ max: 50 }),
      value: fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.constant(null)),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant("sync" as const), from: fc.integer({ min: 0, max: 2 }), to: fc.integer({ min: 0, max: 2 }) }), weight: 1 },
);
type Command = typeof arbCommand extends fc.Arbitrary<infer T> ? T : never;

const arbDelivery = fc.record({ seed: fc.nat(), duplicates: fc.integer({ min: 0, max: 3 }), batches: fc.integer({ min: 1, max: 6 }) });
type Delivery = typeof arbDelivery extends fc.Arbitrary<infer T> ? T : never;

/** `txs` shuffled, some repeated, cut into batches (deterministic from the delivery's seed). */
function deliver(txs: readonly DecodedTransaction[], { seed, duplicates, batches }: Delivery): DecodedTransaction[][] {
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

interface Writer {
  readonly sessionID: SessionId;
  readonly list: CoListContent;
  readonly seen: DecodedTransaction[];
  nextTxIndex: number;
}

function changesFor(command: Extract<Command, { session: number }>, list: CoListContent): CoListChange[] {
  const length = list.length;
  const { index, value } = command;
  if (length === 0 || command.kind === "insert") return [listInsertChange(list, index % (length + 1), value)];
  switch (command.kind) {
    case "append":
      return [listAppendChange(list, value, index % length)];
    case "appendMany":
      return listAppendChanges(list, [value, `${value}+1`, `${value}+2`], index % length);
    case "prepend":
      return [listPrependChange(list, value, index % (length + 1))];
    case "delete":
      return [listDeleteChange(list, index % length)];
    default:
      return listReplaceChanges(list, index % length, value);
  }
}

/** Runs the commands; returns every transaction made and the writers' replicas. */
function simulate(commands: readonly Command[]): { txs: DecodedTransaction[]; writers: Writer[] } {
  const writers: Writer[] = sessions.map((sessionID) => ({ sessionID, list: new CoListContent(), seen: [], nextTxIndex: 0 }));
  const txs: DecodedTransaction[] = [];
  for (const command of commands) {
    if (command.kind === "sync") {
      const from = writers[command.from] as Writer;
      const to = writers[command.to] as Writer;
      to.list.apply(from.seen);
      to.seen.push(...from.seen);
      continue;
    }
    const writer = writers[command.session] as Writer;
    const tx: DecodedTransaction = {
      txId: { sessionID: writer.sessionID, txIndex: writer.nextTxIndex++ },
      author: writer.sessionID.slice(0, writer.sessionID.indexOf("_session_")) as SessionOwner,
      madeAt: command.madeAt,
      changes: changesFor(command, writer.list) as JsonValue[],
      privacy: "trusting",
    };
    writer.list.apply([tx]);
    writer.seen.push(tx);
    txs.push(tx);
  }
  return { txs, writers };
}

const snapshot = (list: CoListContent) => ({ entries: list.entries(), deletions: list.deletions() });

test.prop([fc.array(arbCommand, { maxLength: 40 }), arbDelivery, arbDelivery], { numRuns: 250 })(
  "co-list: every delivery order, duplication and batching converges to the from-scratch state",
  (commands, first, second) => {
    const { txs, writers } = simulate(commands);
    const reference = snapshot(materializeCoList(txs));
    for (const delivery of [first, second]) {
      const incremental = new CoListContent();
      for (const batch of deliver(txs, delivery)) incremental.apply(batch);
      expect(snapshot(incremental)).toEqual(reference);
    }
    for (const writer of writers) {
      writer.list.apply(txs);
      expect(snapshot(writer.list)).toEqual(reference);
    }
  },
);

test.prop([fc.array(arbCommand, { maxLength: 30 }), fc.integer({ min: -1, max: 5 })], { numRuns: 200 })(
  "co-list: atTime(t) equals materialising only the transactions made at or before t",
  (commands, time) => {
    const { txs } = simulate(commands);
    const list = materializeCoList(txs);
    expect(snapshot(list.atTime(time))).toEqual(snapshot(materializeCoList(txs.filter((tx) => tx.madeAt <= time))));
  },
);

test.prop([fc.array(arbCommand, { maxLength: 30 })], { numRuns: 200 })(
  "co-list: on a writer's own replica, a builder's insert lands at the requested index when its madeAt is the latest",
  (commands) => {
    const txs = simulate(commands).txs;
    const before = materializeCoList(txs).asArray();
    for (let index = 0; index <= before.length; index++) {
      const view = materializeCoList(txs);
      view.apply([
        {
          txId: { sessionID: "co_zZed_session_zZ" as SessionId, txIndex: 0 },
          author: "co_zZed" as SessionOwner,
          madeAt: 100,
          changes: [listInsertChange(view, index, "NEW")] as JsonValue[],
          privacy: "trusting",
        },
      ]);
      const expected = [...before];
      expected.splice(index, 0, "NEW");
      expect(view.asArray()).toEqual(expected);
    }
  },
);
