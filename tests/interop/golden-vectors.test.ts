import { fc, test } from "@fast-check/vitest";
import {
  type AgentSecret,
  base58Encode,
  type CoCrypto,
  type CoId,
  type CoValueHeader,
  decryptChanges,
  idForHeader,
  type KeyId,
  type KeySecret,
  makePrivateTransaction,
  makeTrustingTransaction,
  type SealerId,
  type SealerSecret,
  type SessionId,
  SessionLog,
} from "@cosync/core";
import { beforeAll, describe, expect } from "vitest";
import { type CojsonCrypto, cojsonIdForHeader, loadCosyncCryptos, loadOracle } from "./oracle.js";

let oracle: CojsonCrypto;
let cryptos: Array<{ name: string; crypto: CoCrypto }>;

beforeAll(async () => {
  oracle = await loadOracle();
  cryptos = await loadCosyncCryptos();
});

const arbCreatedAt = fc.oneof(fc.constant(undefined), fc.constant(null), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()));
const arbUniqueness = fc.oneof(
  fc.string(),
  fc.boolean(),
  fc.integer(),
  fc.constant(null),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
);
const arbMeta = fc.oneof(fc.constant(null), fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }));
const arbHeader = fc
  .record({
    type: fc.constantFrom("comap", "colist", "costream", "coplaintext"),
    ruleset: fc.constantFrom({ type: "unsafeAllowAll" }, { type: "group", initialAdmin: "sealer_z1/signer_z1" }),
    meta: arbMeta,
    createdAt: arbCreatedAt,
    uniqueness: arbUniqueness,
  })
  .map((h) => {
    const { createdAt, ...rest } = h;
    return (createdAt === undefined ? rest : { ...rest, createdAt }) as CoValueHeader;
  });

describe.each(["node-native", "portable-wasm"])("golden vectors with %s", (providerName) => {
  const ours = () => (cryptos.find((c) => c.name === providerName) as { crypto: CoCrypto }).crypto;

  test.prop([arbHeader], { numRuns: 300 })("header → CoValue id matches cojson", (header) => {
    expect(idForHeader(header, (bytes) => ours().provider.blake3(bytes))).toBe(cojsonIdForHeader(header, oracle));
  });

  test.prop([fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 })])(
    "agent secret → agent id matches cojson",
    (sealer, signer) => {
      const secret = `sealerSecret_z${base58Encode(sealer)}/signerSecret_z${base58Encode(signer)}` as AgentSecret;
      expect(ours().agentId(secret)).toBe(oracle.getAgentID(secret));
    },
  );

  test.prop([fc.uint8Array({ minLength: 32, maxLength: 32 })])("invite seed → invite agent secret matches cojson", (seed) => {
    expect(ours().agentSecretFromSeed(seed)).toBe(oracle.agentSecretFromSecretSeed(seed));
  });

  test.prop([fc.jsonValue()])("secure hash and short hash match cojson", (value) => {
    expect(ours().secureHash(value as never)).toBe(oracle.secureHash(value as never));
    expect(ours().shortHash(value as never)).toBe(oracle.shortHash(value as never));
  });

  test("group sealer from read key matches cojson", () => {
    for (let i = 0; i < 20; i++) {
      const key = oracle.newRandomKeySecret();
      const theirs = oracle.groupSealerFromReadKey(key.secret);
      const mine = ours().groupSealerFromReadKey(key.secret as KeySecret);
      expect(mine).toEqual({ id: theirs.publicKey, secret: theirs.secret });
    }
  });

  test.prop([fc.jsonValue(), fc.string()])("sealed key reveals are byte-identical and unseal both ways", (message, txTag) => {
    const from = oracle.newRandomSealer();
    const to = oracle.newRandomSealer();
    const toId = oracle.getSealerID(to);
    const fromId = oracle.getSealerID(from);
    const nonceMaterial = { in: "co_zTest", tx: { sessionID: txTag, txIndex: 3 } };
    const theirs = oracle.seal({ message: message as never, from, to: toId, nOnceMaterial: nonceMaterial as never });
    const mine = ours().seal(message as never, from as SealerSecret, toId as SealerId, nonceMaterial);
    expect(mine).toBe(theirs);
    expect(ours().unseal(theirs, to as SealerSecret, fromId as SealerId, nonceMaterial)).toEqual(JSON.parse(JSON.stringify(message)));
  });

  test("sealedForGroup: cojson opens ours and we open cojson's", () => {
    for (let i = 0; i < 20; i++) {
      const readKey = oracle.newRandomKeySecret();
      const groupSealer = oracle.groupSealerFromReadKey(readKey.secret);
      const nonceMaterial = { in: "co_zGroup", tx: { sessionID: "s", txIndex: i } };
      const message = `keySecret_z${i}`;
      const mine = ours().sealForGroup(message, groupSealer.publicKey as SealerId, nonceMaterial);
      expect(oracle.unsealForGroup(mine as never, groupSealer.secret, nonceMaterial as never)).toBe(message);
      const theirs = oracle.sealForGroup({ message, to: groupSealer.publicKey, nOnceMaterial: nonceMaterial as never });
      expect(ours().unsealForGroup(theirs, groupSealer.secret as SealerSecret, nonceMaterial)).toBe(message);
      expect(ours().unsealForGroup(theirs, oracle.newRandomSealer() as SealerSecret, nonceMaterial)).toBeUndefined();
    }
  });

  test("key-for-key wrapping is byte-identical and unwraps both ways", () => {
    for (let i = 0; i < 20; i++) {
      const oldKey = oracle.newRandomKeySecret() as { id: KeyId; secret: KeySecret };
      const newKey = oracle.newRandomKeySecret() as { id: KeyId; secret: KeySecret };
      const theirs = oracle.encryptKeySecret({ toEncrypt: oldKey, encrypting: newKey });
      expect(ours().encryptKeySecret(oldKey, newKey)).toBe(theirs.encrypted);
      expect(ours().decryptKeySecret(theirs.encrypted, oldKey.id, newKey)).toBe(oldKey.secret);
    }
  });

  test.prop([fc.array(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 }), fc.boolean()], {
    numRuns: 200,
  })("a session written by both sides has identical transactions, hashes and signatures", (changeSets, withMeta) => {
    const agentSecret = oracle.newRandomAgentSecret();
    const sessionId = oracle.newRandomSessionID(oracle.getAgentID(agentSecret)) as SessionId;
    const header = { type: "comap", ruleset: { type: "unsafeAllowAll" }, meta: null, ...oracle.createdNowUnique() };
    const coId = cojsonIdForHeader(header, oracle) as CoId;
    const theirs = oracle.createSessionMap(coId as never, JSON.stringify(header));
    const key = oracle.newRandomKeySecret() as { id: KeyId; secret: KeySecret };
    const signerSecret = oracle.getAgentSignerSecret(agentSecret as never);
    const log = new SessionLog(sessionId, ours().provider.createHashChain());
    changeSets.forEach((changes, txIndex) => {
      const madeAt = 1_700_000_000_000 + txIndex;
      const meta = withMeta ? { note: txIndex } : undefined;
      const priv = txIndex % 2 === 1;
      const made = priv
        ? JSON.parse(theirs.makeNewPrivateTransaction(sessionId, signerSecret, JSON.stringify(changes), key.id, key.secret, meta && JSON.stringify(meta), madeAt))
        : JSON.parse(theirs.makeNewTrustingTransaction(sessionId, signerSecret, JSON.stringify(changes), meta && JSON.stringify(meta), madeAt));
      const tx = priv
        ? makePrivateTransaction(changes, madeAt, key, { coId, sessionId, txIndex }, ours(), meta)
        : makeTrustingTransaction(changes, madeAt, meta);
      expect(tx).toEqual(made.transaction);
      const { signature } = log.appendOwn(tx, signerSecret as never, ours());
      expect(signature).toBe(made.signature);
      if (priv && tx.privacy === "private") {
        expect(decryptChanges(tx, key.secret, { coId, sessionId, txIndex }, ours())).toEqual(JSON.parse(JSON.stringify(changes)));
      }
    });
  });
});
