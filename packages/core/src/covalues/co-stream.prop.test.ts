import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import type { JsonValue } from "../encoding/canonical-json.js";
import type { SessionId } from "../ids/session-id.js";
import { CoStreamContent, materializeCoStream } from "./co-stream.js";
import { arbDelivery, arbMadeAt, arbSession, expectEveryDeliveryConverges, transactionsOf } from "./writers.test-helpers.js";

// Three sessions (two of them one account's) push items with colliding madeAt values.

const sessions = ["co_zAlice_session_zA1", "co_zAlice_session_zA2", "co_zBob_session_zB"] as SessionId[];

const arbTx = fc.record({
  session: arbSession,
  madeAt: arbMadeAt,
  items: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
});

function build(specs: ReadonlyArray<typeof arbTx extends fc.Arbitrary<infer T> ? T : never>) {
  return transactionsOf(sessions, specs, ({ items }) => items as JsonValue[], "trusting");
}

const snapshot = (stream: CoStreamContent) => ({
  json: stream.toJSON(),
  items: stream.items(),
  latest: stream.authors().map((author) => stream.lastItemBy(author)),
});

test.prop([fc.array(arbTx, { maxLength: 30 }), arbDelivery, arbDelivery], { numRuns: 300 })(
  "co-stream: every delivery order, duplication and batching converges to the from-scratch state",
  (specs, first, second) => {
    expectEveryDeliveryConverges(build(specs), [first, second], { fromScratch: materializeCoStream, empty: () => new CoStreamContent(), snapshot });
  },
);

test.prop([fc.array(arbTx, { maxLength: 30 })], { numRuns: 200 })(
  "co-stream: each feed holds exactly its session's items, sorted by madeAt then txIndex then change index",
  (specs) => {
    const txs = build(specs);
    const stream = materializeCoStream(txs);
    for (const sessionID of sessions) {
      const expected = txs
        .filter((tx) => tx.txId.sessionID === sessionID)
        .sort((a, b) => a.madeAt - b.madeAt || a.txId.txIndex - b.txId.txIndex)
        .flatMap((tx) => tx.changes);
      expect(stream.itemsIn(sessionID).map((item) => item.value)).toEqual(expected);
    }
  },
);
