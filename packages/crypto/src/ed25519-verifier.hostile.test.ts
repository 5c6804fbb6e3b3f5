import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { fc, test } from "@fast-check/vitest";
import sodium from "sodium-native";
import { beforeAll, describe, expect } from "vitest";
import { loadEd25519Verify, verifyWithSodium } from "./ed25519-verifier.js";
import { loadPortableCryptoProvider } from "./portable-crypto-provider.js";

// Hostile review of 9bfc587 (dalek verification under libsodium's rules). Three verifiers must agree
// on every input: the wrapper (dalek), sodium-native (the fallback) and libsodium.js (browsers).

const dalek = createRequire(import.meta.url)("cojson-core-napi") as {
  ed25519Verify(key: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
};
const wrapped = loadEd25519Verify();
type Verify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;
let portable: Verify;
beforeAll(async () => {
  portable = (await loadPortableCryptoProvider()).ed25519Verify;
});

const p = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const hex = (text: string) => Uint8Array.from(Buffer.from(text, "hex"));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const toBigInt = (bytes: Uint8Array) => bytes.reduceRight((value, byte) => (value << 8n) | BigInt(byte), 0n);
const toBytes32 = (value: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((value >> BigInt(8 * i)) & 0xffn));
const sha512 = (...parts: Uint8Array[]) => new Uint8Array(createHash("sha512").update(Buffer.concat(parts)).digest());
const scalar = (label: string) => toBigInt(sha512(new TextEncoder().encode(label)).subarray(0, 32)) % L;

/** The point operations used to craft inputs (not in the local sodium-native typings). */
const points = sodium as unknown as {
  crypto_core_ed25519_add(out: Uint8Array, p: Uint8Array, q: Uint8Array): void;
  crypto_scalarmult_ed25519_base_noclamp(out: Uint8Array, n: Uint8Array): void;
};

/** T[i] = i·T8 for an order-8 point T8: the whole torsion subgroup. */
const T8 = hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a");
const T: Uint8Array[] = [hex(`01${"00".repeat(31)}`)];
for (let i = 1; i < 8; i++) {
  const next = new Uint8Array(32);
  points.crypto_core_ed25519_add(next, T[i - 1] as Uint8Array, T8);
  T.push(next);
}
function basePlusTorsion(k: bigint, torsion: number): Uint8Array {
  if (k === 0n) return (T[torsion] as Uint8Array).slice();
  const kB = new Uint8Array(32);
  points.crypto_scalarmult_ed25519_base_noclamp(kB, toBytes32(k));
  const out = new Uint8Array(32);
  points.crypto_core_ed25519_add(out, kB, T[torsion] as Uint8Array);
  return out;
}
/** Canonical encoding, sign bit flipped, and y + p (the non-canonical encoding, when y < 19). */
function encodings(point: Uint8Array): Array<[string, Uint8Array]> {
  const flipped = point.slice();
  flipped[31] = (flipped[31] as number) ^ 0x80;
  const out: Array<[string, Uint8Array]> = [
    ["c", point],
    ["flip", flipped],
  ];
  const sign = BigInt((point[31] as number) >> 7) << 255n;
  const y = toBigInt(point) & (2n ** 255n - 1n);
  if (y < 19n) {
    out.push(["nc", toBytes32((y + p) | sign)]);
    out.push(["ncflip", toBytes32((y + p) | (sign ^ (1n << 255n)))]);
  }
  return out;
}

describe("ed25519 verifier, hostile: dalek wrapper vs sodium-native vs libsodium.js", () => {
  test("crafted classes (mixed/low-order/non-canonical A and R, S ≥ L, high S bits): all three agree", () => {
    const a = scalar("a") | 1n;
    const S_VARIANTS: Array<[string, (s: bigint) => bigint]> = [
      ["S", (s) => s],
      ["S+L", (s) => s + L],
      ["S+15L", (s) => s + 15n * L],
      ["S|2^255", (s) => s | (1n << 255n)],
      ["S|2^254", (s) => s | (1n << 254n)],
    ];
    let cases = 0;
    let allAccept = 0;
    let dalekOnly = 0;
    const disagreements: string[] = [];
    for (let i = 0; i < 8; i++) {
      for (const [aKind, dlA] of [
        ["aB+T", a],
        ["T", 0n],
      ] as const) {
        for (const [aEnc, A] of encodings(basePlusTorsion(dlA, i))) {
          for (let j = 0; j < 8; j++) {
            for (const [rKind, r] of [
              ["rB+T", scalar(`r${i}${j}${aKind}`)],
              ["T", 0n],
            ] as const) {
              for (const [rEnc, R] of encodings(basePlusTorsion(r, j))) {
                // One message where the cofactorless equation holds for the canonical encodings
                // (j + k·i ≡ 0 mod 8) and one where it does not.
                const seen = new Set<boolean>();
                for (let m = 0; m < 48 && seen.size < 2; m++) {
                  const message = Uint8Array.of(m, i, j);
                  const k = toBigInt(sha512(R, A, message)) % L;
                  const holds = (BigInt(j) + k * BigInt(i)) % 8n === 0n;
                  if (seen.has(holds)) continue;
                  seen.add(holds);
                  const s = (r + k * dlA) % L;
                  for (const [sKind, variant] of S_VARIANTS) {
                    const S = variant(s);
                    if (S >= 2n ** 256n) continue;
                    const signature = Uint8Array.from([...R, ...toBytes32(S)]);
                    const w = wrapped(A, message, signature);
                    const n = verifyWithSodium(A, message, signature);
                    const js = portable(A, message, signature);
                    let d: boolean | "throws";
                    try {
                      d = dalek.ed25519Verify(A, message, signature);
                    } catch {
                      d = "throws";
                    }
                    cases++;
                    if (w && n && js) allAccept++;
                    if (d === true && !n) dalekOnly++;
                    if (w !== n || n !== js) {
                      disagreements.push(
                        `A=${aKind}${i}/${aEnc} R=${rKind}${j}/${rEnc} ${sKind} w=${w} n=${n} js=${js} A=${toHex(A)} M=${toHex(message)} sig=${toHex(signature)}`,
                      );
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    expect(disagreements.slice(0, 5)).toEqual([]);
    expect(cases).toBeGreaterThan(10_000);
    // The sweep reaches both verdicts: mixed-order keys (aB + T) with a cofactorless-valid
    // signature are accepted by every verifier; low-order R/A that dalek alone accepts are refused.
    expect(allAccept).toBeGreaterThan(10);
    expect(dalekOnly).toBeGreaterThan(100);
  });

  test.prop(
    [
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ maxLength: 64 }),
      fc.constantFrom(0, 31, 32, 63),
      fc.integer({ min: 0, max: 255 }),
    ],
    { numRuns: 300 },
  )("honest signatures with the boundary bytes (A[0], A[31], R[0], R[31], S[0], S[31]) replaced: agree", (seed, message, at, byte) => {
    const publicKey = new Uint8Array(32);
    const secretKey = new Uint8Array(64);
    sodium.crypto_sign_seed_keypair(publicKey, secretKey, seed);
    const signature = new Uint8Array(64);
    sodium.crypto_sign_detached(signature, message, secretKey);
    signature[at] = byte;
    const key = publicKey.slice();
    key[at % 32 === 0 ? 0 : 31] = byte;
    for (const A of [publicKey, key]) {
      const n = verifyWithSodium(A, message, signature);
      expect(wrapped(A, message, signature)).toBe(n);
      expect(portable(A, message, signature)).toBe(n);
    }
  });

  test.prop([fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ minLength: 64, maxLength: 64 })], {
    numRuns: 300,
  })("keys with y at or just below p (and either sign): agree, never throw", (low, top, signature) => {
    const key = hex(`${"ff".repeat(31)}00`);
    key[0] = low;
    key[31] = top | 0x7f;
    const message = Uint8Array.of(1);
    const n = verifyWithSodium(key, message, signature);
    expect(wrapped(key, message, signature)).toBe(n);
    expect(portable(key, message, signature)).toBe(n);
  });

  // ---- inputs only in-process callers can produce (the server hands fresh base58-decoded bytes) ----

  const honest = () => {
    const publicKey = new Uint8Array(32);
    const secretKey = new Uint8Array(64);
    sodium.crypto_sign_seed_keypair(publicKey, secretKey, new Uint8Array(32).fill(3));
    const message = Uint8Array.of(1, 2, 3);
    const signature = new Uint8Array(64);
    sodium.crypto_sign_detached(signature, message, secretKey);
    return { publicKey, message, signature };
  };
  const shared = (bytes: Uint8Array) => {
    const copy = new Uint8Array(new SharedArrayBuffer(bytes.length));
    copy.set(bytes);
    return copy;
  };

  test("SharedArrayBuffer-backed honest input: the dalek path and libsodium.js accept", () => {
    const { publicKey, message, signature } = honest();
    expect(wrapped(shared(publicKey), message, signature)).toBe(true);
    expect(portable(shared(publicKey), shared(message), shared(signature))).toBe(true);
  });

  // Found here (fallback path): sodium-native's binding answers `undefined` for any
  // SharedArrayBuffer-backed argument, so the fallback rejected what the dalek path and browsers
  // accept; it now verifies a plain copy.
  test("SharedArrayBuffer-backed honest input: the sodium-native fallback answers true", () => {
    const { publicKey, message, signature } = honest();
    expect(verifyWithSodium(shared(publicKey), message, signature)).toBe(true);
  });

  // Found here (contract "never a throw", isVerifiable, all providers): values that pass
  // `instanceof Uint8Array` but are not typed arrays made the `.length` getter throw.
  test("a Proxy around a Uint8Array key answers false, not a throw", () => {
    const { publicKey, message, signature } = honest();
    expect(wrapped(new Proxy(publicKey, {}), message, signature)).toBe(false);
  });
  test("an object with Uint8Array.prototype answers false, not a throw", () => {
    const { message, signature } = honest();
    expect(verifyWithSodium(Object.create(Uint8Array.prototype) as Uint8Array, message, signature)).toBe(false);
  });

  // Found here (in-process only): a subclass that lies about `length` made the two paths disagree
  // (sodium-native read byteLength and accepted the first 64 bytes of an over-long signature).
  test("a Uint8Array subclass with a lying length: the dalek path and the fallback agree", () => {
    class Length64 extends Uint8Array {
      override get length() {
        return 64;
      }
    }
    const { publicKey, message, signature } = honest();
    const longSignature = new Length64(128);
    longSignature.set(signature);
    expect(wrapped(publicKey, message, longSignature)).toBe(verifyWithSodium(publicKey, message, longSignature));
  });
});
