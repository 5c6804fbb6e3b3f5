// Crypto benchmark: cosync's two CryptoProviders ("node-native", "portable-wasm") against Jazz's
// cojson-core-wasm 0.20.19, one thread, all in one run. Per transaction: the hash-chain step a
// writer takes (update + snapshot digest) and the verify-path variant (50 updates + 1 digest),
// Ed25519 verify and sign of a `hash_z…` (string API and raw bytes), private-transaction encrypt
// and decrypt, and the whole signed write path (SessionLog.appendOwn against cojson's SessionMap).
//
// The VM is shared and noisy, so the implementations of one operation are measured in alternating
// rounds (A B C, then C B A, …) and each figure is the median over rounds; ratios are only
// meaningful within one run. Every contender is checked to produce the same bytes as the baseline
// before it is timed, and every verify is checked to succeed, so no fast failure path is timed.
import {
  base58Decode,
  CoCrypto,
  decryptChanges,
  idForHeader,
  makePrivateTransaction,
  makeTrustingTransaction,
  SessionLog,
  serializeTransaction,
  utf8Encode,
} from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { loadPortableCryptoProvider } from "@cosync/crypto/portable";
import * as wasm from "cojson-core-wasm";
import { WasmCrypto } from "cojson/crypto/WasmCrypto";
import { measure, printTable } from "./harness.mjs";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const MIN_MS = Number(process.env.BENCH_MIN_MS ?? 72);
const BASELINE = "cojson-core-wasm";
/** Distinct inputs cycled through, so no implementation sees one value over and over. */
const VARIANTS = 64;
const BATCH = 50;
const MADE_AT = 1_764_000_000_000;

// Keeps results observable so no loop body can be optimised away.
let sink = 0;

/** Throws unless `actual` equals `expected` (a contender must compute what the baseline computes). */
function same(what, actual, expected) {
  const a = typeof actual === "string" ? actual : JSON.stringify(Array.from(actual));
  const b = typeof expected === "string" ? expected : JSON.stringify(Array.from(expected));
  if (a !== b) throw new Error(`crypto bench: ${what} differs from ${BASELINE}:\n  ${a}\n  ${b}`);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Times the contenders of one operation in alternating order and returns a row per contender.
 * `body(n)` performs n calls; `perCall` ops happen per call (50 for the verify-path batch).
 * The iteration count `measure` settles on is reused in later rounds, so calibration runs once.
 */
async function compare(op, contenders, { iterations }) {
  const samples = contenders.map(() => []);
  const counts = contenders.map(() => iterations);
  for (let round = 0; round < ROUNDS; round++) {
    const order = contenders.map((_, index) => index);
    if (round % 2 === 1) order.reverse();
    for (const index of order) {
      const contender = contenders[index];
      let lastN = counts[index];
      const body = async (n) => {
        lastN = Math.max(lastN, n);
        await contender.body(n);
      };
      const perCall = await measure(body, { iterations: counts[index], rounds: 3, minMs: MIN_MS });
      counts[index] = lastN;
      samples[index].push(perCall / (contender.perCall ?? 1));
    }
  }
  const baseline = median(samples[contenders.findIndex((c) => c.impl === BASELINE)]);
  return contenders.map((contender, index) => {
    const us = median(samples[index]);
    const spread = ((Math.max(...samples[index]) - Math.min(...samples[index])) / us) * 100;
    return {
      op,
      impl: contender.impl,
      api: contender.api,
      "µs/op": us,
      "ops/s": 1e6 / us,
      "time ÷ wasm": us / baseline,
      "speed × wasm": baseline / us,
      "spread %": spread,
    };
  });
}

/** Fixtures shared by every section: one signer, one read key, one CoValue and session. */
async function setUp() {
  const providers = [await loadNodeCryptoProvider(), await loadPortableCryptoProvider()];
  await wasm.initialize();
  const cojson = await WasmCrypto.create();
  const cryptos = providers.map((provider) => new CoCrypto(provider));
  const co = cryptos[0];
  const agent = co.newRandomAgentSecret();
  const signerSecret = agent.slice(agent.indexOf("/") + 1);
  const signerId = co.signerId(signerSecret);
  const seed = base58Decode(signerSecret.slice("signerSecret_z".length));
  const keyPair = co.provider.ed25519KeyPair(seed);
  const key = co.newKey();
  const header = { type: "comap", ruleset: { type: "unsafeAllowAll" }, meta: null, uniqueness: co.newUniqueness() };
  const coId = idForHeader(header, co.provider.blake3);
  const sessionId = `${co.agentId(agent)}_session_z${co.newSessionRandomPart()}`;
  // ~100 B of change JSON per transaction (encrypt, decrypt, write path), keys in sorted order so
  // JSON.stringify and cojson's stableStringify agree.
  const changes = Array.from({ length: VARIANTS }, (_, i) => [
    { key: `title${i % 10}`, op: "set", value: `Buy oat milk, eggs, rye bread and two lemons for no. ${String(i).padStart(2, "0")}` },
  ]);
  // The hash chain is fed canonical trusting transactions of ~120 B (a ~50 B change).
  const txBytes = Array.from({ length: VARIANTS }, (_, i) => {
    const change = [{ key: `title${i % 10}`, op: "set", value: `Buy milk no. ${String(i).padStart(2, "0")}` }];
    return utf8Encode(serializeTransaction(makeTrustingTransaction(change, MADE_AT + i)));
  });
  const hashes = Array.from({ length: VARIANTS }, (_, i) => co.secureHash({ at: MADE_AT, i }));
  const signatures = hashes.map((hash) => co.sign(signerSecret, hash));
  const place = (txIndex) => ({ coId, sessionId, txIndex });
  const nonceMaterial = (txIndex) => ({ in: coId, tx: { sessionID: sessionId, txIndex } });
  return { providers, cryptos, cojson, co, signerSecret, signerId, seed, keyPair, key, header, coId, sessionId, changes, txBytes, hashes, signatures, place, nonceMaterial };
}

const te = new TextEncoder();
const mask = VARIANTS - 1;

/** 1. Hash chain: the writer's step per signed tx, and the verifier's per-tx share of a 50-tx piece. */
async function chainRows(f) {
  const { txBytes } = f;
  const step = [];
  const batch = [];
  for (const provider of f.providers) {
    const chain = provider.createHashChain();
    step.push({
      impl: provider.name,
      api: "HashChain update + digest",
      body: (n) => {
        for (let i = 0; i < n; i++) {
          chain.update(txBytes[i & mask]);
          sink ^= chain.digest()[0];
        }
      },
    });
    let head = provider.createHashChain();
    batch.push({
      impl: provider.name,
      api: "clone + 50 × update + digest",
      perCall: BATCH,
      body: (n) => {
        for (let i = 0; i < n; i++) {
          const next = head.clone();
          for (let j = 0; j < BATCH; j++) next.update(txBytes[(i + j) & mask]);
          sink ^= next.digest()[0];
          head = next;
        }
      },
    });
  }
  const hasher = new wasm.Blake3Hasher();
  step.push({
    impl: BASELINE,
    api: "Blake3Hasher update + clone + finalize + free",
    body: (n) => {
      for (let i = 0; i < n; i++) {
        hasher.update(txBytes[i & mask]);
        const snapshot = hasher.clone();
        sink ^= snapshot.finalize()[0];
        snapshot.free();
      }
    },
  });
  let head = new wasm.Blake3Hasher();
  batch.push({
    impl: BASELINE,
    api: "clone + 50 × update + finalize + free",
    perCall: BATCH,
    body: (n) => {
      for (let i = 0; i < n; i++) {
        const next = head.clone();
        for (let j = 0; j < BATCH; j++) next.update(txBytes[(i + j) & mask]);
        sink ^= next.finalize()[0];
        head.free();
        head = next;
      }
    },
  });
  // Same digests from every implementation over the same input.
  const reference = new wasm.Blake3Hasher();
  const chains = f.providers.map((p) => p.createHashChain());
  for (const bytes of txBytes) {
    reference.update(bytes);
    const snapshot = reference.clone();
    const expected = snapshot.finalize();
    snapshot.free();
    for (const chain of chains) {
      chain.update(bytes);
      same("chain digest", chain.digest(), expected);
    }
  }
  reference.free();
  return [
    ...(await compare("chain step per tx (update ~120 B tx + digest)", step, { iterations: 4000 })),
    ...(await compare("chain verify path per tx (50 updates + 1 digest)", batch, { iterations: 100 })),
  ];
}

/** 2. Verify a `signature_z…` over a `hash_z…`, through the string API and on raw bytes. */
async function verifyRows(f) {
  const { hashes, signatures, signerId, keyPair } = f;
  const message = hashes.map((hash) => te.encode(JSON.stringify(hash)));
  const signatureText = signatures.map((s) => te.encode(s));
  const signatureBytes = signatures.map((s) => base58Decode(s.slice("signature_z".length)));
  const signerIdBytes = te.encode(signerId);
  const checked = (impl, api, verifyOne) => ({
    impl,
    api,
    body: (n) => {
      let ok = true;
      for (let i = 0; i < n; i++) ok = verifyOne(i & mask) && ok;
      if (!ok) throw new Error(`crypto bench: ${impl} ${api} rejected a valid signature`);
    },
  });
  const text = f.cryptos.map((co) =>
    checked(co.provider.name, "CoCrypto.verify", (i) => co.verify(signatures[i], hashes[i], signerId)),
  );
  text.push(checked(BASELINE, "verify (pre-encoded strings)", (i) => wasm.verify(signatureText[i], message[i], signerIdBytes)));
  const raw = f.providers.map((p) =>
    checked(p.name, "provider.ed25519Verify", (i) => p.ed25519Verify(keyPair.publicKey, message[i], signatureBytes[i])),
  );
  raw.push(checked(BASELINE, "ed25519Verify", (i) => wasm.ed25519Verify(keyPair.publicKey, message[i], signatureBytes[i])));
  same("signer id", f.cojson.getSignerID(f.signerSecret), signerId);
  return [
    ...(await compare("verify hash_z signature (string API)", text, { iterations: 64 })),
    ...(await compare("verify raw bytes (64 B sig, 50 B msg)", raw, { iterations: 64 })),
  ];
}

/** 3. Sign a `hash_z…`, through the string API and on raw bytes. */
async function signRows(f) {
  const { hashes, signerSecret, keyPair, seed } = f;
  const message = hashes.map((hash) => te.encode(JSON.stringify(hash)));
  const secretText = te.encode(signerSecret);
  const text = f.cryptos.map((co) => ({
    impl: co.provider.name,
    api: "CoCrypto.sign",
    body: (n) => {
      for (let i = 0; i < n; i++) sink ^= co.sign(signerSecret, hashes[i & mask]).length;
    },
  }));
  text.push({
    impl: BASELINE,
    api: "sign (pre-encoded strings)",
    body: (n) => {
      for (let i = 0; i < n; i++) sink ^= wasm.sign(message[i & mask], secretText).length;
    },
  });
  const raw = f.providers.map((p) => ({
    impl: p.name,
    api: "provider.ed25519Sign",
    body: (n) => {
      for (let i = 0; i < n; i++) sink ^= p.ed25519Sign(keyPair.secretKey, message[i & mask])[0];
    },
  }));
  raw.push({
    impl: BASELINE,
    api: "ed25519Sign",
    body: (n) => {
      for (let i = 0; i < n; i++) sink ^= wasm.ed25519Sign(seed, message[i & mask])[0];
    },
  });
  for (const co of f.cryptos) same(`${co.provider.name} signature`, co.sign(signerSecret, hashes[0]), wasm.sign(message[0], secretText));
  for (const p of f.providers) same(`${p.name} raw signature`, p.ed25519Sign(keyPair.secretKey, message[0]), wasm.ed25519Sign(seed, message[0]));
  return [
    ...(await compare("sign hash_z (string API)", text, { iterations: 64 })),
    ...(await compare("sign raw bytes (50 B msg)", raw, { iterations: 64 })),
  ];
}

/** 4. Private transactions: encrypt ~100 B of changes, and decrypt them back to JSON. */
async function privateRows(f) {
  const { changes, key, place, nonceMaterial, cojson } = f;
  const encrypt = f.cryptos.map((co) => ({
    impl: co.provider.name,
    api: "makePrivateTransaction",
    body: (n) => {
      for (let i = 0; i < n; i++) sink ^= makePrivateTransaction(changes[i & mask], MADE_AT, key, place(i), co).encryptedChanges.length;
    },
  }));
  encrypt.push({
    impl: BASELINE,
    api: "WasmCrypto.encrypt",
    body: (n) => {
      for (let i = 0; i < n; i++) sink ^= cojson.encrypt(changes[i & mask], key.secret, nonceMaterial(i)).length;
    },
  });
  const sealed = changes.map((c, i) => makePrivateTransaction(c, MADE_AT, key, place(i), f.co));
  const decrypt = f.cryptos.map((co) => ({
    impl: co.provider.name,
    api: "decryptChanges",
    body: (n) => {
      for (let i = 0; i < n; i++) sink ^= decryptChanges(sealed[i & mask], key.secret, place(i & mask), co).length;
    },
  }));
  decrypt.push({
    impl: BASELINE,
    api: "WasmCrypto.decryptRaw + JSON.parse",
    body: (n) => {
      for (let i = 0; i < n; i++) {
        sink ^= JSON.parse(cojson.decryptRaw(sealed[i & mask].encryptedChanges, key.secret, nonceMaterial(i & mask))).length;
      }
    },
  });
  for (const co of f.cryptos) {
    for (let i = 0; i < 4; i++) {
      const tx = makePrivateTransaction(changes[i], MADE_AT, key, place(i), co);
      same(`${co.provider.name} ciphertext`, tx.encryptedChanges, cojson.encrypt(changes[i], key.secret, nonceMaterial(i)));
      same(`${co.provider.name} plaintext`, JSON.stringify(decryptChanges(tx, key.secret, place(i), co)), JSON.stringify(changes[i]));
    }
  }
  return [
    ...(await compare("private tx encrypt (~100 B changes)", encrypt, { iterations: 2000 })),
    ...(await compare("private tx decrypt (~100 B changes)", decrypt, { iterations: 2000 })),
  ];
}

/** 5. The whole signed write path per transaction: serialise, chain, sign (private: + encrypt). */
async function writeRows(f) {
  const { changes, key, signerSecret, sessionId, coId, header, cojson } = f;
  const headerJson = JSON.stringify(header);
  const fresh = () => cojson.createSessionMap(coId, headerJson);
  const free = (map) => map.sessionMap.free();
  const cosync = (co, privacy) => ({
    impl: co.provider.name,
    api: privacy === "trusting" ? "make…Transaction + SessionLog.appendOwn" : "makePrivateTransaction + appendOwn",
    body: (n) => {
      const log = new SessionLog(sessionId, co.provider.createHashChain());
      for (let i = 0; i < n; i++) {
        const tx =
          privacy === "trusting"
            ? makeTrustingTransaction(changes[i & mask], MADE_AT + i)
            : makePrivateTransaction(changes[i & mask], MADE_AT + i, key, { coId, sessionId, txIndex: i }, co);
        sink ^= log.appendOwn(tx, signerSecret, co).signature.length;
      }
    },
  });
  const trusting = f.cryptos.map((co) => cosync(co, "trusting"));
  trusting.push({
    impl: BASELINE,
    api: "SessionMap.makeNewTrustingTransaction",
    body: (n) => {
      const map = fresh();
      for (let i = 0; i < n; i++) {
        sink ^= map.makeNewTrustingTransaction(sessionId, signerSecret, JSON.stringify(changes[i & mask]), null, MADE_AT + i).length;
      }
      free(map);
    },
  });
  const privately = f.cryptos.map((co) => cosync(co, "private"));
  privately.push({
    impl: BASELINE,
    api: "SessionMap.makeNewPrivateTransaction",
    body: (n) => {
      const map = fresh();
      for (let i = 0; i < n; i++) {
        const json = JSON.stringify(changes[i & mask]);
        sink ^= map.makeNewPrivateTransaction(sessionId, signerSecret, json, key.id, key.secret, null, MADE_AT + i).length;
      }
      free(map);
    },
  });
  // The first three signatures of a fresh session match cojson's, for both kinds of transaction.
  for (const co of f.cryptos) {
    const trustingLog = new SessionLog(sessionId, co.provider.createHashChain());
    const privateLog = new SessionLog(sessionId, co.provider.createHashChain());
    const trustingMap = fresh();
    const privateMap = fresh();
    for (let i = 0; i < 3; i++) {
      const ours = trustingLog.appendOwn(makeTrustingTransaction(changes[i], MADE_AT + i), signerSecret, co);
      const theirs = JSON.parse(trustingMap.makeNewTrustingTransaction(sessionId, signerSecret, JSON.stringify(changes[i]), null, MADE_AT + i));
      same(`${co.provider.name} trusting write signature`, ours.signature, theirs.signature);
      const tx = makePrivateTransaction(changes[i], MADE_AT + i, key, { coId, sessionId, txIndex: i }, co);
      const mine = privateLog.appendOwn(tx, signerSecret, co);
      const json = JSON.stringify(changes[i]);
      const cojsonTx = JSON.parse(privateMap.makeNewPrivateTransaction(sessionId, signerSecret, json, key.id, key.secret, null, MADE_AT + i));
      same(`${co.provider.name} private write signature`, mine.signature, cojsonTx.signature);
    }
    free(trustingMap);
    free(privateMap);
  }
  return [
    ...(await compare("write path per trusting tx (serialize + hash + sign)", trusting, { iterations: 64 })),
    ...(await compare("write path per private tx (+ encrypt)", privately, { iterations: 64 })),
  ];
}

/** A target verdict from the rows: `ratio` picks the figure, `limit` is what it must reach. */
function target(rows, { description, op, impl, ratio, atLeast, atMost }) {
  const value = rows.find((r) => r.op === op && r.impl === impl)[ratio];
  const holds = atLeast !== undefined ? value >= atLeast : value <= atMost;
  return { description, op, impl, ratio, value, limit: atLeast ?? atMost, holds };
}

export async function run() {
  const started = performance.now();
  const f = await setUp();
  console.log(
    `${ROUNDS} alternating rounds per operation (each the median of 3 runs ≥ ${(MIN_MS / 3).toFixed(0)} ms); ` +
      `figures are medians over rounds, one thread. tx: ${f.txBytes[0].length} B canonical trusting tx; ` +
      `changes: ${JSON.stringify(f.changes[0]).length} B JSON.\n`,
  );
  const rows = [...(await chainRows(f)), ...(await verifyRows(f)), ...(await signRows(f)), ...(await privateRows(f)), ...(await writeRows(f))];
  printTable(["op", "impl", "api", "µs/op", "ops/s", "time ÷ wasm", "speed × wasm", "spread %"], rows);

  const chainOp = rows[0].op;
  const targets = [
    target(rows, { description: "server provider verify ≥ 2× cojson-core-wasm", op: "verify hash_z signature (string API)", impl: "node-native", ratio: "speed × wasm", atLeast: 2 }),
    target(rows, { description: "chain step ≤ 1.5× cojson-core-wasm's time", op: chainOp, impl: "node-native", ratio: "time ÷ wasm", atMost: 1.5 }),
    target(rows, { description: "chain step ≤ 1.5× cojson-core-wasm's time", op: chainOp, impl: "portable-wasm", ratio: "time ÷ wasm", atMost: 1.5 }),
  ];
  console.log("\ntargets:");
  for (const t of targets) {
    const figure = t.ratio === "speed × wasm" ? `${t.value.toFixed(2)}× the ops/s` : `${t.value.toFixed(2)}× the time`;
    console.log(`  ${t.holds ? "HOLDS " : "MISSED"}  ${t.description}: ${t.impl} at ${figure}`);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`\n(${seconds.toFixed(1)} s; sink ${sink & 1})`);
  return {
    rounds: ROUNDS,
    minMs: MIN_MS,
    txBytes: f.txBytes[0].length,
    changesBytes: JSON.stringify(f.changes[0]).length,
    seconds,
    rows,
    targets,
  };
}
