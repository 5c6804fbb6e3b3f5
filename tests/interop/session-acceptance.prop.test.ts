// Both directions of acceptance between cosync's SessionLog and cojson's Rust session map:
// batches built by one are accepted by the other, tampered batches are refused by both, and the
// awkward inputs cojson 0.20 is known to judge subtly (risk 1) get the same verdict from both.
import { fc, test } from "@fast-check/vitest";
import {
  base58Encode,
  type CoCrypto,
  type CoId,
  type KeyId,
  type KeySecret,
  makePrivateTransaction,
  makeTrustingTransaction,
  type SessionId,
  SessionLog,
  type Signature,
  type SignerId,
  type SignerSecret,
  type Transaction,
  validateTransaction,
} from "@cosync/core";
import { beforeAll, expect } from "vitest";
import { type CojsonCrypto, cojsonIdForHeader, loadCosyncCryptos, loadOracle } from "./oracle.js";

let oracle: CojsonCrypto;
let ours: CoCrypto;

beforeAll(async () => {
  oracle = await loadOracle();
  ours = (await loadCosyncCryptos())[0]?.crypto as CoCrypto;
});

interface Fixture {
  coId: CoId;
  headerJson: string;
  sessionId: SessionId;
  signer: SignerSecret;
  signerId: SignerId;
  key: { id: KeyId; secret: KeySecret };
}

function fixture(): Fixture {
  const agentSecret = oracle.newRandomAgentSecret();
  const header = { type: "comap", ruleset: { type: "unsafeAllowAll" }, meta: null, ...oracle.createdNowUnique() };
  return {
    coId: cojsonIdForHeader(header, oracle) as CoId,
    headerJson: JSON.stringify(header),
    sessionId: oracle.newRandomSessionID(oracle.getAgentID(agentSecret)) as SessionId,
    signer: oracle.getAgentSignerSecret(agentSecret) as SignerSecret,
    signerId: oracle.getSignerID(oracle.getAgentSignerSecret(agentSecret)) as SignerId,
    key: oracle.newRandomKeySecret() as { id: KeyId; secret: KeySecret },
  };
}

/** Would cojson's Rust core accept this batch on top of `prefix` (already accepted)? */
function cojsonAccepts(f: Fixture, batches: ReadonlyArray<{ txs: unknown[]; signature: string }>, signerId = f.signerId): boolean {
  const map = oracle.createSessionMap(f.coId as never, f.headerJson);
  try {
    for (const batch of batches) map.addTransactions(f.sessionId, signerId, JSON.stringify(batch.txs), batch.signature, false);
    return true;
  } catch {
    return false;
  }
}

/** Would cosync accept the same batches, passed through wire validation as the server does? */
function cosyncAccepts(f: Fixture, batches: ReadonlyArray<{ txs: unknown[]; signature: string; after?: number }>, signerId = f.signerId): boolean {
  const log = new SessionLog(f.sessionId, ours.provider.createHashChain());
  for (const batch of batches) {
    const wire = JSON.parse(JSON.stringify(batch.txs)) as unknown[];
    const txs: Transaction[] = [];
    for (const raw of wire) {
      const valid = validateTransaction(raw);
      if (!valid.ok) return false;
      txs.push(valid.value);
    }
    const result = log.addVerified({ after: batch.after ?? log.count, newTransactions: txs, lastSignature: batch.signature as Signature }, signerId, ours);
    if (!result.ok) return false;
  }
  return true;
}

const arbChanges = fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 1, maxLength: 3 });
const arbBatchSizes = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 });

type Batch = { txs: Transaction[]; signature: Signature };

/** What transaction `index` of a built session carries: every third private, meta on odd trusting ones. */
interface TxPlan {
  index: number;
  changes: unknown[];
  madeAt: number;
  private: boolean;
  meta: { i: number } | undefined;
}

/** Cuts the session `make` builds transaction by transaction into batches of `sizes`, each carrying its last signature. */
function buildBatches(sizes: number[], changes: unknown[][], make: (plan: TxPlan) => { tx: Transaction; signature: Signature }): Batch[] {
  const batches: Batch[] = [];
  let index = 0;
  for (const size of sizes) {
    const txs: Transaction[] = [];
    let signature = "" as Signature;
    for (let i = 0; i < size; i++, index++) {
      const made = make({
        index,
        changes: changes[index % changes.length] ?? [null],
        madeAt: 1_700_000_000_000 + index,
        private: index % 3 === 2,
        meta: index % 2 ? { i: index } : undefined,
      });
      txs.push(made.tx);
      signature = made.signature;
    }
    batches.push({ txs, signature });
  }
  return batches;
}

/** Builds batches with cosync: every tx signed, each batch carrying its last signature. */
function buildWithCosync(f: Fixture, sizes: number[], changes: unknown[][]): Batch[] {
  const log = new SessionLog(f.sessionId, ours.provider.createHashChain());
  return buildBatches(sizes, changes, (plan) => {
    const tx = plan.private
      ? makePrivateTransaction(plan.changes as never[], plan.madeAt, f.key, { coId: f.coId, sessionId: f.sessionId, txIndex: plan.index }, ours)
      : makeTrustingTransaction(plan.changes as never[], plan.madeAt, plan.meta);
    return { tx, signature: log.appendOwn(tx, f.signer, ours).signature };
  });
}

function buildWithCojson(f: Fixture, sizes: number[], changes: unknown[][]): Batch[] {
  const map = oracle.createSessionMap(f.coId as never, f.headerJson);
  return buildBatches(sizes, changes, (plan) => {
    const change = JSON.stringify(plan.changes);
    const made = JSON.parse(
      plan.private
        ? map.makeNewPrivateTransaction(f.sessionId, f.signer, change, f.key.id, f.key.secret, undefined, plan.madeAt)
        : map.makeNewTrustingTransaction(f.sessionId, f.signer, change, plan.meta === undefined ? undefined : JSON.stringify(plan.meta), plan.madeAt),
    );
    return { tx: made.transaction, signature: made.signature };
  });
}

test.prop([arbBatchSizes, fc.array(arbChanges, { minLength: 1, maxLength: 5 })], { numRuns: 200 })(
  "batches built by cosync are accepted by cojson's verifier",
  (sizes, changes) => {
    const f = fixture();
    const batches = buildWithCosync(f, sizes, changes);
    expect(cojsonAccepts(f, batches)).toBe(true);
    expect(cosyncAccepts(f, batches)).toBe(true);
  },
);

test.prop([arbBatchSizes, fc.array(arbChanges, { minLength: 1, maxLength: 5 })], { numRuns: 200 })(
  "batches built by cojson are accepted by cosync",
  (sizes, changes) => {
    const f = fixture();
    const batches = buildWithCojson(f, sizes, changes);
    expect(cosyncAccepts(f, batches)).toBe(true);
  },
);

const arbTamper = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ kind: fc.constant("skip" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("foreign" as const) }),
  fc.record({ kind: fc.constant("signature" as const), at: fc.nat() }),
);

function flipCharacter(text: string, at: number, bit: number): string {
  const index = at % text.length;
  const flipped = String.fromCharCode(text.charCodeAt(index) ^ (1 << bit));
  return text.slice(0, index) + flipped + text.slice(index + 1);
}

test.prop([arbBatchSizes, fc.array(arbChanges, { minLength: 1, maxLength: 4 }), fc.boolean(), arbTamper], { numRuns: 200 })(
  "tampered batches are refused by both verifiers",
  (sizes, changes, builtByCojson, tamper) => {
    const f = fixture();
    const batches = builtByCojson ? buildWithCojson(f, sizes, changes) : buildWithCosync(f, sizes, changes);
    const last = batches[batches.length - 1] as Batch;
    let tampered: Array<{ txs: unknown[]; signature: string; after?: number }> = batches;
    let signerId = f.signerId;
    switch (tamper.kind) {
      case "flip": {
        // Flip one bit of one transaction's payload string (changes or encryptedChanges).
        const txIndex = tamper.at % last.txs.length;
        const tx = last.txs[txIndex] as Transaction;
        const field = tx.privacy === "trusting" ? "changes" : "encryptedChanges";
        const original = tx.privacy === "trusting" ? tx.changes : tx.encryptedChanges;
        const changed = flipCharacter(original, tamper.at, tamper.bit);
        fc.pre(changed !== original);
        const txs = last.txs.map((t, i) => (i === txIndex ? { ...t, [field]: changed } : t));
        tampered = [...batches.slice(0, -1), { txs, signature: last.signature }];
        break;
      }
      case "skip": {
        // Drop the first transactions of the last batch, as a sender with a wrong `after` would.
        fc.pre(last.txs.length > 1);
        const dropped = 1 + (tamper.at % (last.txs.length - 1));
        const previousCount = batches.slice(0, -1).reduce((n, b) => n + b.txs.length, 0);
        tampered = [...batches.slice(0, -1), { txs: last.txs.slice(dropped), signature: last.signature, after: previousCount }];
        break;
      }
      case "foreign": {
        const other = oracle.newRandomAgentSecret();
        signerId = oracle.getSignerID(oracle.getAgentSignerSecret(other)) as SignerId;
        break;
      }
      case "signature": {
        const bytes = oracle.randomBytes(64);
        tampered = [...batches.slice(0, -1), { txs: last.txs, signature: `signature_z${base58Encode(bytes)}` }];
        break;
      }
    }
    expect(cojsonAccepts(f, tampered, signerId)).toBe(false);
    expect(cosyncAccepts(f, tampered, signerId)).toBe(false);
  },
);

/** Signs raw (possibly odd) transaction objects the way an arbitrary client might: over our canonical form. */
function signRaw(f: Fixture, txs: Record<string, unknown>[]): string {
  const log = new SessionLog(f.sessionId, ours.provider.createHashChain());
  let signature = "";
  for (const raw of txs) {
    const valid = validateTransaction(JSON.parse(JSON.stringify(raw)));
    if (!valid.ok) return `signature_z${base58Encode(new Uint8Array(64))}`;
    signature = log.appendOwn(valid.value, f.signer, ours).signature;
  }
  return signature;
}

// [case, transaction, verdict real cojson 0.20.19 gives (pinned so the comparison cannot pass vacuously)]
const edgeCases: Array<[string, Record<string, unknown>, boolean]> = [
  ["meta: null", { privacy: "trusting", madeAt: 1, changes: "[1]", meta: null }, true],
  ["extra field", { privacy: "trusting", madeAt: 1, changes: "[1]", extra: { a: 1 } }, true],
  ["float madeAt", { privacy: "trusting", madeAt: 1.5, changes: "[1]" }, false],
  ["negative madeAt", { privacy: "trusting", madeAt: -1, changes: "[1]" }, false],
  ["-0 madeAt", { privacy: "trusting", madeAt: -0, changes: "[1]" }, true],
  ["madeAt above 2^53", { privacy: "trusting", madeAt: 2 ** 60, changes: "[1]" }, true],
  ["madeAt 1e21", { privacy: "trusting", madeAt: 1e21, changes: "[1]" }, false],
  ["madeAt as string", { privacy: "trusting", madeAt: "1", changes: "[1]" }, false],
  ["lone surrogate in changes", { privacy: "trusting", madeAt: 1, changes: '["\uD800"]' }, false],
  ["lone surrogate in meta", { privacy: "trusting", madeAt: 1, changes: "[1]", meta: '{"a":"\uDC00"}' }, false],
  ["escaped surrogate text", { privacy: "trusting", madeAt: 1, changes: '["\\ud800"]' }, true],
  ["floats and exponents in changes", { privacy: "trusting", madeAt: 1, changes: "[1e21,-0,0.1,1E+2]" }, true],
  ["control characters", { privacy: "trusting", madeAt: 1, changes: '["\u0001\u001f\u007f\u2028"]' }, true],
  ["changes not a string", { privacy: "trusting", madeAt: 1, changes: [1] }, false],
  ["unknown privacy", { privacy: "public", madeAt: 1, changes: "[1]" }, false],
  ["private without keyUsed", { privacy: "private", madeAt: 1, encryptedChanges: "encrypted_UAAAA" }, false],
  ["private with meta null", { privacy: "private", madeAt: 1, keyUsed: "key_zX", encryptedChanges: "encrypted_UAAAA", meta: null }, true],
  ["meta as object", { privacy: "trusting", madeAt: 1, changes: "[1]", meta: { a: 1 } }, false],
];

test.each(edgeCases)("edge case %s: cosync and cojson give the same verdict", (_name, raw, expected) => {
  const f = fixture();
  const batch = [{ txs: [raw], signature: signRaw(f, [raw]) }];
  expect(cojsonAccepts(f, batch)).toBe(expected);
  expect(cosyncAccepts(f, batch)).toBe(expected);
});
