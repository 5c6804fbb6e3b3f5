import type { CryptoProvider } from "@cosync/core";
import { runCryptoProviderConformance } from "@cosync/testing";
import { fc, test } from "@fast-check/vitest";
import { beforeAll, describe, expect } from "vitest";
import { loadNodeCryptoProvider } from "./node-crypto-provider.js";
import { loadPortableCryptoProvider } from "./portable-crypto-provider.js";

runCryptoProviderConformance("node-native", loadNodeCryptoProvider);
runCryptoProviderConformance("portable-wasm", loadPortableCryptoProvider);

const toHex = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.length).toString("hex");
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const bytes24 = fc.uint8Array({ minLength: 24, maxLength: 24 });

describe("node-native and portable-wasm agree", () => {
  let native: CryptoProvider;
  let portable: CryptoProvider;
  beforeAll(async () => {
    [native, portable] = await Promise.all([loadNodeCryptoProvider(), loadPortableCryptoProvider()]);
  });

  test("providers: report their names", () => {
    expect(native.name).toBe("node-native");
    expect(portable.name).toBe("portable-wasm");
  });

  test.prop(
    {
      seed: bytes32,
      message: fc.uint8Array({ maxLength: 400 }),
      key: bytes32,
      nonce: bytes24,
      secretA: bytes32,
      secretB: bytes32,
      chunks: fc.array(fc.uint8Array({ maxLength: 1500 }), { maxLength: 6 }),
    },
    { numRuns: 250 },
  )("providers: same inputs give identical bytes from every function", (input) => {
    const same = (f: (crypto: CryptoProvider) => Uint8Array | undefined) => {
      const fromNative = f(native);
      expect(fromNative).toBeDefined();
      expect(toHex(f(portable) ?? new Uint8Array(0))).toBe(toHex(fromNative ?? new Uint8Array(0)));
    };
    same((c) => c.blake3(input.message));
    same((c) => c.ed25519KeyPair(input.seed).publicKey);
    same((c) => c.ed25519KeyPair(input.seed).secretKey);
    same((c) => c.ed25519Sign(c.ed25519KeyPair(input.seed).secretKey, input.message));
    same((c) => c.x25519PublicKey(input.secretA));
    same((c) => c.x25519SharedSecret(input.secretA, c.x25519PublicKey(input.secretB)));
    same((c) => c.xsalsa20Xor(input.key, input.nonce, input.message));
    same((c) => c.secretboxSeal(input.key, input.nonce, input.message));
    same((c) => c.secretboxOpen(input.key, input.nonce, c.secretboxSeal(input.key, input.nonce, input.message)));
    same((c) => {
      const chain = c.createHashChain();
      for (const chunk of input.chunks) chain.update(chunk);
      return chain.saveState();
    });
  });

  test.prop([bytes32, fc.uint8Array({ maxLength: 400 }), fc.boolean()], { numRuns: 250 })(
    "providers: a signature made by one verifies with the other, and a forged one fails in both",
    (seed, message, nativeSigns) => {
      const [signer, verifier] = nativeSigns ? [native, portable] : [portable, native];
      const { publicKey, secretKey } = signer.ed25519KeyPair(seed);
      const signature = signer.ed25519Sign(secretKey, message);
      expect(verifier.ed25519Verify(publicKey, message, signature)).toBe(true);
      signature[0] = (signature[0] ?? 0) ^ 1;
      expect(verifier.ed25519Verify(publicKey, message, signature)).toBe(false);
      expect(signer.ed25519Verify(publicKey, message, signature)).toBe(false);
    },
  );

  test.prop([fc.array(fc.uint8Array({ maxLength: 1500 }), { maxLength: 6 }), fc.uint8Array({ maxLength: 300 })], {
    numRuns: 200,
  })("providers: a hash chain saved by one resumes in the other", (prefix, tail) => {
    const saved = native.createHashChain();
    for (const chunk of prefix) saved.update(chunk);
    const resumed = portable.createHashChain(saved.saveState());
    resumed.update(tail);
    saved.update(tail);
    expect(toHex(resumed.digest())).toBe(toHex(saved.digest()));
    expect(toHex(native.createHashChain(resumed.saveState()).digest())).toBe(toHex(saved.digest()));
  });
});
