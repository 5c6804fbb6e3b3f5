import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { fc, test } from "@fast-check/vitest";
import sodium from "sodium-native";
import { describe, expect } from "vitest";
import { hasLowOrder, isCanonicalPoint, LOW_ORDER_ENCODINGS, loadEd25519Verify, verifyWithSodium } from "./ed25519-verifier.js";

// The raw dalek binding, to show each crafted signature below is one dalek alone would accept.
const dalek = createRequire(import.meta.url)("cojson-core-napi") as {
  ed25519Verify(key: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
};
const verify = loadEd25519Verify();
const hex = (text: string) => Uint8Array.from(Buffer.from(text, "hex"));
const withSignBit = (point: Uint8Array) => Uint8Array.from(point, (byte, index) => (index === 31 ? byte | 0x80 : byte));

// ---- little-endian scalars mod L, for crafting signatures only a key's owner can make ----
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const toBigInt = (bytes: Uint8Array) => bytes.reduceRight((value, byte) => (value << 8n) | BigInt(byte), 0n);
const toBytes32 = (value: bigint) => Uint8Array.from({ length: 32 }, (_, index) => Number((value >> BigInt(8 * index)) & 0xffn));
const sha512 = (...parts: Uint8Array[]) => new Uint8Array(createHash("sha512").update(Buffer.concat(parts)).digest());

/** The owner's signature of `message` with R = the identity: valid for dalek, low-order R for libsodium. */
function identityRSignature(seed: Uint8Array, message: Uint8Array): { publicKey: Uint8Array; signature: Uint8Array } {
  const publicKey = new Uint8Array(32);
  sodium.crypto_sign_seed_keypair(publicKey, new Uint8Array(64), seed);
  const expanded = sha512(seed).subarray(0, 32);
  expanded[0] = (expanded[0] as number) & 248;
  expanded[31] = ((expanded[31] as number) & 127) | 64;
  const identity = hex("0100000000000000000000000000000000000000000000000000000000000000");
  const k = toBigInt(sha512(identity, publicKey, message)) % L;
  const s = (k * toBigInt(expanded)) % L;
  return { publicKey, signature: Uint8Array.from([...identity, ...toBytes32(s)]) };
}

const LOW_ORDER = LOW_ORDER_ENCODINGS; // the module's own list, checked against libsodium below

describe("ed25519 verification: dalek's speed with libsodium's rules", () => {
  test("verify: the list is libsodium's: each entry, in both sign-bit encodings, is a point libsodium refuses", () => {
    const eight = toBytes32(8n);
    const product = new Uint8Array(32);
    for (const point of LOW_ORDER) {
      for (const encoding of [point, withSignBit(point)]) {
        // libsodium's scalar multiplication refuses low-order and non-canonical points outright.
        expect(() => sodium.crypto_scalarmult_ed25519_noclamp(product, eight, encoding)).toThrow();
        expect(hasLowOrder(encoding)).toBe(true);
      }
    }
    // …and an honest public key is neither.
    const honest = new Uint8Array(32);
    sodium.crypto_sign_seed_keypair(honest, new Uint8Array(64), new Uint8Array(32).fill(7));
    sodium.crypto_scalarmult_ed25519_noclamp(product, eight, honest);
    expect(hasLowOrder(honest)).toBe(false);
    expect(isCanonicalPoint(honest)).toBe(true);
  });

  test("verify: a low-order public key that dalek accepts a signature from is refused, as libsodium does", () => {
    const identityR = hex("0100000000000000000000000000000000000000000000000000000000000000");
    const signature = Uint8Array.from([...identityR, ...new Uint8Array(32)]); // R = identity, S = 0
    let dalekAccepted = 0;
    for (const point of LOW_ORDER) {
      for (const key of [point, withSignBit(point)]) {
        // R = [0]B − [k]A holds once k is a multiple of A's order: some message gives that.
        for (let attempt = 0; attempt < 64; attempt++) {
          const message = Uint8Array.of(attempt);
          let accepted = false;
          try {
            accepted = dalek.ed25519Verify(key, message, signature);
          } catch {
            break; // dalek cannot decompress this encoding: nothing to guard
          }
          if (!accepted) continue;
          dalekAccepted++;
          expect(verifyWithSodium(key, message, signature)).toBe(false);
          expect(verify(key, message, signature)).toBe(false);
          break;
        }
      }
    }
    expect(dalekAccepted).toBeGreaterThanOrEqual(7);
  });

  test.prop([fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 200 })], { numRuns: 50 })(
    "verify: an owner's signature with a low-order R (the identity) is refused, as libsodium does",
    (seed, message) => {
      const { publicKey, signature } = identityRSignature(seed, message);
      expect(dalek.ed25519Verify(publicKey, message, signature)).toBe(true);
      expect(verifyWithSodium(publicKey, message, signature)).toBe(false);
      expect(verify(publicKey, message, signature)).toBe(false);
    },
  );

  test.prop(
    [
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.option(fc.record({ index: fc.nat(63), bit: fc.nat(7) }), { nil: undefined }),
      fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: undefined }),
    ],
    { numRuns: 400 },
  )("verify: agrees with libsodium on honest, tampered and random-key signatures", (seed, message, flip, randomKey) => {
    const publicKey = new Uint8Array(32);
    const secretKey = new Uint8Array(64);
    sodium.crypto_sign_seed_keypair(publicKey, secretKey, seed);
    const signature = new Uint8Array(64);
    sodium.crypto_sign_detached(signature, message, secretKey);
    if (flip !== undefined) signature[flip.index] = (signature[flip.index] as number) ^ (1 << flip.bit);
    const key = randomKey ?? publicKey;
    expect(verify(key, message, signature)).toBe(verifyWithSodium(key, message, signature));
    if (flip === undefined && randomKey === undefined) expect(verify(key, message, signature)).toBe(true);
  });

  test("verify: malformed shapes answer false without throwing", () => {
    const key = new Uint8Array(32);
    sodium.crypto_sign_seed_keypair(key, new Uint8Array(64), new Uint8Array(32));
    expect(verify(key.subarray(0, 31), new Uint8Array(1), new Uint8Array(64))).toBe(false);
    expect(verify(key, new Uint8Array(1), new Uint8Array(65))).toBe(false);
    expect(verify(hex("02".padEnd(64, "0")), new Uint8Array(1), new Uint8Array(64))).toBe(false); // not a curve point
    expect(verify("key" as never, new Uint8Array(1), new Uint8Array(64))).toBe(false);
  });

  test("verify: a public key is canonical exactly when its y is below p", () => {
    const belowP = hex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    expect(isCanonicalPoint(belowP)).toBe(true);
    expect(isCanonicalPoint(withSignBit(belowP))).toBe(true);
    for (const low of ["ed", "ee", "f0", "ff"]) {
      const atOrAboveP = hex(`${low}ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f`);
      expect(isCanonicalPoint(atOrAboveP)).toBe(false);
      expect(isCanonicalPoint(withSignBit(atOrAboveP))).toBe(false);
    }
    expect(isCanonicalPoint(hex("edfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe7f"))).toBe(true);
  });
});
