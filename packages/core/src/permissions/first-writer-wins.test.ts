import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import type { DecodedTransaction } from "../covalues/decoded-transaction.js";
import { compareTxOrder } from "../covalues/tx-order.js";
import type { JsonObject } from "../encoding/canonical-json.js";
import type { SessionId, SessionOwner } from "../ids/session-id.js";
import { FirstWriterWins } from "./first-writer-wins.js";

const sessions = ["co_zA_session_zA", "co_zB_session_zB"] as SessionId[];

function tx(session: number, txIndex: number, madeAt: number, meta?: JsonObject): DecodedTransaction {
  const sessionID = sessions[session] as SessionId;
  const base = { txId: { sessionID, txIndex }, author: sessionID.split("_session_")[0] as SessionOwner, madeAt, changes: [], privacy: "trusting" as const };
  return meta === undefined ? base : { ...base, meta };
}

/** Admits in order; returns which transaction ids count as valid at the end. */
function winners(txs: readonly DecodedTransaction[]): string[] {
  const rule = new FirstWriterWins();
  const counted = new Map<DecodedTransaction, DecodedTransaction>();
  for (const one of txs) {
    const outcome = rule.admit(one);
    counted.set(one, outcome.tx);
    if (outcome.demoted !== undefined) counted.set(outcome.demoted, { ...outcome.demoted, anchorOnly: true });
  }
  return [...counted.values()].filter((one) => one.anchorOnly !== true).map((one) => `${one.txId.sessionID}/${one.txId.txIndex}`).sort();
}

test("only the first writer of a key stays valid; keys are independent; transactions without fww pass", () => {
  const early = tx(0, 0, 10, { fww: "init" });
  const late = tx(1, 0, 20, { fww: "init" });
  const other = tx(1, 1, 30, { fww: "other" });
  const plain = tx(0, 1, 5);
  expect(winners([late, early, other, plain])).toEqual(winners([early, late, other, plain]));
  expect(winners([late, early, other, plain])).toEqual(["co_zA_session_zA/0", "co_zA_session_zA/1", "co_zB_session_zB/1"]);
  // Object keys never compete (cojson keys a Map by them).
  expect(winners([tx(0, 0, 1, { fww: {} }), tx(1, 0, 2, { fww: {} })])).toHaveLength(2);
  // Ties across sessions: the lower session id wins, whatever the arrival order.
  expect(winners([tx(1, 0, 7, { fww: 1 }), tx(0, 0, 7, { fww: 1 })])).toEqual(["co_zA_session_zA/0"]);
});

test.prop([fc.array(fc.tuple(fc.nat(1), fc.integer({ min: 0, max: 5 }), fc.constantFrom("init", "x", undefined)), { maxLength: 12 }), fc.nat()])(
  "the winner of each key is its earliest transaction, in any arrival order",
  (specs, seed) => {
    const counts = [0, 0];
    const txs = specs.map(([session, madeAt, key]) => tx(session, counts[session]++ as number, madeAt, key === undefined ? undefined : { fww: key }));
    const shuffled = [...txs].sort((a, b) => ((a.madeAt * 31 + seed) % 7) - ((b.madeAt * 31 + seed) % 7));
    const expected = txs
      .filter((one) => one.meta === undefined || txs.every((other) => other.meta?.fww !== one.meta?.fww || compareTxOrder(one, other) <= 0))
      .map((one) => `${one.txId.sessionID}/${one.txId.txIndex}`)
      .sort();
    expect(winners(shuffled)).toEqual(expected);
  },
);
