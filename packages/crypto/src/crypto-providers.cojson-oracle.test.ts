import type { CryptoProvider } from "@cosync/core";
import { fc, test } from "@fast-check/vitest";
import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import * as cojson from "cojson-core-wasm";
import { beforeAll, describe, expect } from "vitest";
import { loadNodeCryptoProvider } from "./node-crypto-provider.js";
import { loadPortableCryptoProvider } from "./portable-crypto-provider.js";

// The conformance suite pins fixed vectors; this checks random inputs against the real thing:
// cojson-core-wasm 0.20.19 (the Rust crypto cojson runs) and @noble/ciphers for secretbox.

const toHex = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.length).toString("hex");
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const RUNS = { numRuns: 200 } as const;

describe.each([
  ["node-native", loadNodeCryptoProvider],
  ["portable-wasm", loadPortableCryptoProvider],
] as const)("%s against cojson-core-wasm", (_name, load) => {
  let crypto: CryptoProvider;
  beforeAll(async () => {
    await cojson.initialize();
    crypto = await load();
  });

  test.prop([fc.uint8Array({ maxLength: 3000 })], RUNS)("oracle: blake3 equals blake3HashOnce", (data) => {
    expect(toHex(crypto.blake3(data))).toBe(toHex(cojson.blake3HashOnce(data)));
  });

  test.prop([fc.array(fc.uint8Array({ maxLength: 700 }), { maxLength: 12 })], RUNS)(
    "oracle: chain digests equal Blake3Hasher clone + finalize after every update",
    (chunks) => {
      const chain = crypto.createHashChain();
      const hasher = new cojson.Blake3Hasher();
      try {
        for (const chunk of chunks) {
          chain.update(chunk);
          hasher.update(chunk);
          const snapshot = hasher.clone();
          expect(toHex(chain.digest())).toBe(toHex(snapshot.finalize()));
          snapshot.free();
        }
      } finally {
        hasher.free();
      }
    },
  );

  test.prop([bytes32, fc.uint8Array({ maxLength: 300 })], RUNS)(
    "oracle: keys and signatures equal cojson's, and each side verifies the other's",
    (seed, message) => {
      const { publicKey, secretKey } = crypto.ed25519KeyPair(seed);
      expect(toHex(publicKey)).toBe(toHex(cojson.ed25519VerifyingKey(seed)));
      const signature = crypto.ed25519Sign(secretKey, message);
      expect(toHex(signature)).toBe(toHex(cojson.ed25519Sign(seed, message)));
      expect(cojson.ed25519Verify(publicKey, message, signature)).toBe(true);
      signature[63] = (signature[63] ?? 0) ^ 0x10;
      expect(crypto.ed25519Verify(publicKey, message, signature)).toBe(false);
      expect(cojson.ed25519Verify(publicKey, message, signature)).toBe(false);
    },
  );

  test.prop([bytes32, bytes32], RUNS)("oracle: x25519 equals x25519PublicKey / x25519DiffieHellman", (a, b) => {
    const publicB = crypto.x25519PublicKey(b);
    expect(toHex(publicB)).toBe(toHex(cojson.x25519PublicKey(b)));
    expect(toHex(crypto.x25519SharedSecret(a, publicB))).toBe(toHex(cojson.x25519DiffieHellman(a, publicB)));
  });

  test.prop([bytes32, fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 300 })], RUNS)(
    "oracle: xsalsa20 with cojson's nonce derivation equals encryptXsalsa20",
    (key, nonceMaterial, plaintext) => {
      const nonce = cojson.generateNonce(nonceMaterial);
      expect(toHex(crypto.xsalsa20Xor(key, nonce, plaintext))).toBe(
        toHex(cojson.encryptXsalsa20(key, nonceMaterial, plaintext)),
      );
    },
  );

  test.prop([bytes32, fc.uint8Array({ minLength: 24, maxLength: 24 }), fc.uint8Array({ maxLength: 300 })], RUNS)(
    "oracle: secretbox equals @noble/ciphers xsalsa20poly1305 (tag‖ciphertext)",
    (key, nonce, plaintext) => {
      const sealed = crypto.secretboxSeal(key, nonce, plaintext);
      expect(toHex(sealed)).toBe(toHex(xsalsa20poly1305(key, nonce).encrypt(plaintext)));
    },
  );
});
