import type { CryptoProvider } from "@cosync/core";
import { fc, test } from "@fast-check/vitest";
import { beforeAll, describe, expect } from "vitest";

/**
 * The contract every `CryptoProvider` must meet: known answers (official BLAKE3, RFC 8032 and
 * RFC 7748 vectors, and vectors produced by cojson-core-wasm 0.20.19 and @noble/ciphers 2.4),
 * the interface's behavioural promises, and properties over random inputs.
 *
 * Call it from a provider's test file: `runCryptoProviderConformance("node-native", loadNodeCryptoProvider)`.
 */
export function runCryptoProviderConformance(name: string, load: () => Promise<CryptoProvider>): void {
  describe(`CryptoProvider conformance: ${name}`, () => {
    let crypto: CryptoProvider;
    beforeAll(async () => {
      crypto = await load();
    });
    const provider = () => crypto;

    describe("blake3", () => blake3Cases(provider));
    describe("HashChain", () => hashChainCases(provider));
    describe("ed25519", () => ed25519Cases(provider));
    describe("x25519", () => x25519Cases(provider));
    describe("xsalsa20 and secretbox", () => symmetricCases(provider));
    describe("randomBytes and argument checks", () => boundaryCases(provider));
  });
}

type Provider = () => CryptoProvider;

const RUNS = { numRuns: 200 } as const;
const bytes = (maxLength = 300) => fc.uint8Array({ maxLength });
const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const nonce24 = fc.uint8Array({ minLength: 24, maxLength: 24 });

/** Bytes `(i + offset) % 251`: the input pattern of the official BLAKE3 test vectors. */
function pattern(length: number, offset = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i + offset) % 251);
}
const utf8 = (text: string) => new TextEncoder().encode(text);
const toHex = (data: Uint8Array) => Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
const concat = (chunks: readonly Uint8Array[]) => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
};
const flipped = (data: Uint8Array, index: number, mask = 1) => {
  const copy = data.slice();
  const at = index % copy.length;
  copy[at] = (copy[at] ?? 0) ^ mask;
  return copy;
};

function blake3Cases(crypto: Provider): void {
  test("blake3: official vectors for the empty input and \"abc\"", () => {
    expect(toHex(crypto().blake3(new Uint8Array(0)))).toBe(
      "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
    );
    expect(toHex(crypto().blake3(utf8("abc")))).toBe(
      "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85",
    );
  });

  // Lengths around the 1024-byte chunk boundary, where BLAKE3's tree starts.
  test.each([
    [1, "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213"],
    [1023, "10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11"],
    [1024, "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7"],
    [1025, "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444"],
    [2049, "5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b6879522563030"],
    [8193, "bab6c09cb8ce8cf459261398d2e7aef35700bf488116ceb94a36d0f5f1b7bc3b"],
  ])("blake3: %i bytes of the official input pattern", (length, expected) => {
    expect(toHex(crypto().blake3(pattern(length)))).toBe(expected);
  });

  test.prop([bytes()], RUNS)("blake3: leaves its input untouched and returns a fresh array", (data) => {
    const before = data.slice();
    const first = crypto().blake3(data);
    const second = crypto().blake3(data);
    expect(first).not.toBe(second);
    expect(toHex(first)).toBe(toHex(second));
    expect(toHex(data)).toBe(toHex(before));
  });
}

function hashChainCases(crypto: Provider): void {
  test("HashChain: snapshot digests match cojson-core-wasm's Blake3Hasher across chunk boundaries", () => {
    const chain = crypto().createHashChain();
    const expected: Array<[number, string]> = [
      [5, "b40b44dfd97e7a84a996a91af8b85188c66c126940ba7aad2e7ae6b385402aa2"],
      [200, "d49dba8bfe50d4cba9a86d1e2db2de07857e82701ce0c85985389d243b371dda"],
      [819, "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7"],
      [1, "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444"],
      [3000, "47ca691ee7904fd501ada5dffbacd919e0451e64d3c0d684548c35d70bc29511"],
    ];
    let offset = 0;
    for (const [length, digest] of expected) {
      chain.update(pattern(length, offset));
      offset += length;
      expect(toHex(chain.digest())).toBe(digest);
    }
  });

  test("HashChain: large and many small updates, cloned midway, equal the one-shot hash", () => {
    const chain = crypto().createHashChain();
    const parts = [pattern(40_000), ...Array.from({ length: 300 }, (_, i) => pattern(100, i)), pattern(20_000, 7)];
    parts.forEach((part, i) => {
      chain.update(part);
      if (i === 150) expect(toHex(chain.clone().digest())).toBe(toHex(crypto().blake3(concat(parts.slice(0, 151)))));
    });
    expect(toHex(chain.digest())).toBe(toHex(crypto().blake3(concat(parts))));
  });

  test("HashChain: a fresh chain digests to blake3 of nothing, repeatedly", () => {
    const chain = crypto().createHashChain();
    const empty = toHex(crypto().blake3(new Uint8Array(0)));
    expect(toHex(chain.digest())).toBe(empty);
    expect(toHex(chain.digest())).toBe(empty);
  });

  test("HashChain: digest does not disturb later updates", () => {
    const chain = crypto().createHashChain();
    chain.update(utf8("first"));
    const first = chain.digest();
    expect(toHex(chain.digest())).toBe(toHex(first));
    chain.update(utf8("second"));
    expect(toHex(chain.digest())).toBe(toHex(crypto().blake3(utf8("firstsecond"))));
  });

  test("HashChain: saveState() resumes identically and leaves the original running", () => {
    const chain = crypto().createHashChain();
    chain.update(pattern(1500));
    const state = chain.saveState();
    const resumed = crypto().createHashChain(state);
    state.fill(0); // the resumed chain must not depend on the caller keeping the bytes intact
    chain.update(utf8("tail"));
    resumed.update(utf8("tail"));
    const expected = toHex(crypto().blake3(concat([pattern(1500), utf8("tail")])));
    expect(toHex(resumed.digest())).toBe(expected);
    expect(toHex(chain.digest())).toBe(expected);
    expect(toHex(crypto().createHashChain(chain.saveState()).digest())).toBe(expected);
  });

  test("HashChain: clone() is independent of its original", () => {
    const chain = crypto().createHashChain();
    chain.update(utf8("shared"));
    const copy = chain.clone();
    copy.update(utf8("-copy"));
    chain.update(utf8("-original"));
    expect(toHex(copy.digest())).toBe(toHex(crypto().blake3(utf8("shared-copy"))));
    expect(toHex(chain.digest())).toBe(toHex(crypto().blake3(utf8("shared-original"))));
    expect(toHex(chain.clone().digest())).toBe(toHex(chain.digest()));
  });

  test("HashChain: a state that saveState() did not produce is rejected naming savedState", () => {
    expect(() => crypto().createHashChain(new Uint8Array(10))).toThrow(/savedState/);
    const state = crypto().createHashChain().saveState();
    expect(() => crypto().createHashChain(flipped(state, 0, 0xff))).toThrow(TypeError);
  });

  const chainStep = fc.record({
    chunk: bytes(2100),
    next: fc.constantFrom("nothing", "digest", "saveState", "clone"),
  });
  test.prop([fc.array(chainStep, { maxLength: 12 })], RUNS)(
    "HashChain: any chunking, with digests, saves and clones in between, equals the one-shot hash",
    (steps) => {
      let chain = crypto().createHashChain();
      const fed: Uint8Array[] = [];
      for (const { chunk, next } of steps) {
        chain.update(chunk);
        fed.push(chunk);
        if (next === "digest") expect(toHex(chain.digest())).toBe(toHex(crypto().blake3(concat(fed))));
        if (next === "saveState") chain = crypto().createHashChain(chain.saveState());
        if (next === "clone") {
          const original = chain;
          chain = chain.clone();
          original.update(chunk); // must not reach the clone
        }
      }
      expect(toHex(chain.digest())).toBe(toHex(crypto().blake3(concat(fed))));
    },
  );

  test.prop([fc.array(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: "grapheme", maxLength: 3000 }), bytes(600)), { maxLength: 16 })], RUNS)(
    "HashChain: updateText(s) is update(utf8(s)), mixed with byte updates and digests",
    (inputs) => {
      const chain = crypto().createHashChain();
      const fed: Uint8Array[] = [];
      for (const input of inputs) {
        if (typeof input === "string") {
          chain.updateText(input);
          fed.push(new TextEncoder().encode(input));
        } else {
          chain.update(input);
          fed.push(input);
        }
        expect(toHex(chain.digest())).toBe(toHex(crypto().blake3(concat(fed))));
      }
    },
  );

  test.prop([fc.array(fc.tuple(fc.nat(2), bytes(200)), { maxLength: 30 })], RUNS)(
    "HashChain: chains fed in any interleaving each equal the one-shot hash of their own input",
    (steps) => {
      const chains = [0, 1, 2].map(() => ({ chain: crypto().createHashChain(), fed: [] as Uint8Array[] }));
      const expectMatches = ({ chain, fed }: (typeof chains)[number]) => {
        expect(toHex(chain.digest())).toBe(toHex(crypto().blake3(concat(fed))));
      };
      for (const [which, chunk] of steps) {
        const target = chains[which];
        if (target === undefined) throw new Error("unreachable: fc.nat(2) picks one of three chains");
        target.chain.update(chunk);
        target.fed.push(chunk);
        expectMatches(target);
      }
      for (const target of chains) expectMatches(target);
    },
  );
}

function ed25519Cases(crypto: Provider): void {
  test("ed25519: RFC 8032 test vector 1", () => {
    const seed = fromHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    const { publicKey, secretKey } = crypto().ed25519KeyPair(seed);
    expect(toHex(publicKey)).toBe("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    expect(toHex(secretKey)).toBe(toHex(seed) + toHex(publicKey));
    const signature = crypto().ed25519Sign(secretKey, new Uint8Array(0));
    expect(toHex(signature)).toBe(
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    );
    expect(crypto().ed25519Verify(publicKey, new Uint8Array(0), signature)).toBe(true);
  });

  test("ed25519: signs a cojson hash string exactly as cojson-core-wasm does", () => {
    const { publicKey, secretKey } = crypto().ed25519KeyPair(pattern(32, 7));
    expect(toHex(publicKey)).toBe("00d05a1d1ea251396d557afbd4588b3c6d99dbeb972fed10a32562ea26dcdcfa");
    const message = utf8('"hash_z4Fn7Vb1WBh3uHF3W7WHvyb3ZKBMU5nGb7FJYVxoXr9Xo"');
    expect(toHex(crypto().ed25519Sign(secretKey, message))).toBe(
      "d4de268d158fd927ed9610cb980e15ac3d3bb6c9cf9260b92f5c2e585514d31e8f76568720375c84805243921485e7792a3cd1241d912bfcc4f76ddfc2757606",
    );
  });

  test.prop([key32, bytes(), fc.nat(), fc.integer({ min: 1, max: 255 })], RUNS)(
    "ed25519: a signature verifies, and fails after any flipped signature, message or key byte",
    (seed, message, index, mask) => {
      const { publicKey, secretKey } = crypto().ed25519KeyPair(seed);
      const signature = crypto().ed25519Sign(secretKey, message);
      expect(crypto().ed25519Verify(publicKey, message, signature)).toBe(true);
      expect(crypto().ed25519Verify(publicKey, message, flipped(signature, index, mask))).toBe(false);
      expect(crypto().ed25519Verify(flipped(publicKey, index, mask), message, signature)).toBe(false);
      if (message.length > 0) {
        expect(crypto().ed25519Verify(publicKey, flipped(message, index, mask), signature)).toBe(false);
      }
      expect(crypto().ed25519Verify(publicKey, concat([message, new Uint8Array([0])]), signature)).toBe(false);
    },
  );

  test("ed25519: verify returns false, never throws, for malformed keys and signatures", () => {
    const { publicKey, secretKey } = crypto().ed25519KeyPair(pattern(32));
    const message = utf8("message");
    const signature = crypto().ed25519Sign(secretKey, message);
    const malformed: Array<[Uint8Array, Uint8Array]> = [
      [publicKey.subarray(0, 31), signature],
      [concat([publicKey, new Uint8Array([0])]), signature],
      [new Uint8Array(0), signature],
      [publicKey, signature.subarray(0, 63)],
      [publicKey, concat([signature, new Uint8Array([0])])],
      [publicKey, new Uint8Array(0)],
      [new Uint8Array(32), signature], // not a valid point
      [new Uint8Array(32).fill(0xff), signature],
      [publicKey, new Uint8Array(64)],
      [publicKey, new Uint8Array(64).fill(0xff)], // scalar out of range
    ];
    for (const [key, sig] of malformed) expect(crypto().ed25519Verify(key, message, sig)).toBe(false);
  });

  test("ed25519: signing refuses a 32-byte seed in place of the 64-byte secret key", () => {
    expect(() => crypto().ed25519Sign(pattern(32), utf8("m"))).toThrow(/secretKey/);
    expect(() => crypto().ed25519KeyPair(pattern(64))).toThrow(/seed/);
  });
}

function x25519Cases(crypto: Provider): void {
  test("x25519: RFC 7748 §6.1 key agreement", () => {
    const alice = fromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    const bob = fromHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    const alicePublic = crypto().x25519PublicKey(alice);
    const bobPublic = crypto().x25519PublicKey(bob);
    expect(toHex(alicePublic)).toBe("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    expect(toHex(bobPublic)).toBe("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    const shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    expect(toHex(crypto().x25519SharedSecret(alice, bobPublic))).toBe(shared);
    expect(toHex(crypto().x25519SharedSecret(bob, alicePublic))).toBe(shared);
  });

  test.prop([key32, key32], RUNS)("x25519: both sides derive the same secret", (a, b) => {
    const ab = crypto().x25519SharedSecret(a, crypto().x25519PublicKey(b));
    const ba = crypto().x25519SharedSecret(b, crypto().x25519PublicKey(a));
    expect(toHex(ab)).toBe(toHex(ba));
  });

  // cojson (x25519-dalek) would return 32 zero bytes here, keying a secretbox anyone can open;
  // libsodium refuses, and so do both providers, identically.
  test("x25519: a low-order public key is refused naming publicKey", () => {
    expect(() => crypto().x25519SharedSecret(pattern(32), new Uint8Array(32))).toThrow(/publicKey/);
    const one = new Uint8Array(32);
    one[0] = 1;
    expect(() => crypto().x25519SharedSecret(pattern(32), one)).toThrow(TypeError);
  });
}

function symmetricCases(crypto: Provider): void {
  const key = pattern(32, 100);

  test("xsalsa20: matches cojson-core-wasm's encryptXsalsa20 and @noble/ciphers", () => {
    const nonce = fromHex("bb22c0f6e54bdd579d104526b2fd6c2fbaf5e5911feea6e4");
    const plaintext = utf8('[{"op":"set","key":"hello","value":"world"}]');
    expect(toHex(crypto().xsalsa20Xor(key, nonce, plaintext))).toBe(
      "fc4435e8e815cef7b94404de7d9bad405eb61fe764051ff93fafcf455fcd944b241577b4a302ae1fa181d521",
    );
    // 200 bytes run over several 64-byte keystream blocks.
    expect(toHex(crypto().xsalsa20Xor(key, pattern(24, 50), pattern(200, 3)))).toBe(
      "c9ad20ca1844261ddf8739f52f60ed384ecbb5749e56d4d37a7b1cc414753c19953eeaf9378a99d287961c7b1b13f566e35f129b6f691427dcdd2b3d030e8cf5d359258fb1bf8a23ab6a6673c818444ad972224d46efe21cc78c6f7b42a1488f9648efdd44aff58127a21296a9a2dcf90691e88d1045269fbc6f61552965681e29bf063a8743d96d8150c98fb43fa14d27ad6017d93c01948fb3c0023495f0d735a2d97f01215de17286d209e810ecd59ba4c59b26e86f221d9d9beaa0eb1268ea24670e1503de53",
    );
    expect(crypto().xsalsa20Xor(key, nonce, new Uint8Array(0))).toHaveLength(0);
  });

  test.prop([key32, nonce24, bytes()], RUNS)("xsalsa20: applying it twice restores the input", (k, nonce, data) => {
    const before = data.slice();
    const encrypted = crypto().xsalsa20Xor(k, nonce, data);
    expect(encrypted).toHaveLength(data.length);
    expect(toHex(crypto().xsalsa20Xor(k, nonce, encrypted))).toBe(toHex(data));
    expect(toHex(data)).toBe(toHex(before));
  });

  test.prop([key32, nonce24, bytes()], RUNS)("xsalsa20: into a given output, also in place, the same bytes", (k, nonce, data) => {
    const expected = toHex(crypto().xsalsa20Xor(k, nonce, data));
    const output = new Uint8Array(data.length);
    expect(crypto().xsalsa20Xor(k, nonce, data, output)).toBe(output);
    expect(toHex(output)).toBe(expected);
    const inPlace = data.slice();
    expect(crypto().xsalsa20Xor(k, nonce, inPlace, inPlace)).toBe(inPlace);
    expect(toHex(inPlace)).toBe(expected);
  });

  test("secretbox: seals a key revelation exactly as cojson-core-wasm's seal()", () => {
    // seal() = secretbox keyed with the raw X25519 secret (no HSalsa20), tag‖ciphertext.
    const sender = pattern(32, 1);
    const recipientPublic = fromHex("ab9f2628c325c141e9fb2430f106850f62930bc3f0b12df39a9b84a49c7c1d12");
    const nonce = fromHex("0b86a2ef0c785fedc534ad2f4f7ae508c42dbb3e8df8d00a");
    const plaintext = utf8('[{"op":"set","key":"hello","value":"world"}]');
    const shared = crypto().x25519SharedSecret(sender, recipientPublic);
    expect(toHex(crypto().x25519PublicKey(pattern(32, 2)))).toBe(toHex(recipientPublic));
    expect(toHex(shared)).toBe("ea38b11e2d0c40fe1a3e1cd51a238c7ed08487c2d7812740b5002d3f2c1f795f");
    const sealed = crypto().secretboxSeal(shared, nonce, plaintext);
    expect(toHex(sealed)).toBe(
      "9ee27f56c6326636a917f092ee7ae8e90d1c2d075cc6c1b8a1367ee620e9d94c91b6f50b60fdc3670ed9a689223ae126ea8c87d7db3b1a488e805845",
    );
    expect(toHex(crypto().secretboxOpen(shared, nonce, sealed) ?? new Uint8Array(0))).toBe(toHex(plaintext));
  });

  test("secretbox: matches @noble/ciphers xsalsa20poly1305 for empty and multi-block plaintexts", () => {
    const nonce = pattern(24, 50);
    const cojsonNonce = fromHex("bb22c0f6e54bdd579d104526b2fd6c2fbaf5e5911feea6e4");
    const empty = crypto().secretboxSeal(key, cojsonNonce, new Uint8Array(0));
    expect(toHex(empty)).toBe("279425c50c607395508de36729acf83e");
    expect(toHex(crypto().secretboxSeal(key, nonce, pattern(150, 9)))).toBe(
      "58eb9f80c5bd485c5aa1a8e7b7245a34bf10c4d31dacbfe8bda822412135d34cc9713cb1454f323dc6c335271968ea9fb9374be5dbd9ec59d1141809b27e2220b31c4c272c898406dd92716158876ea5bc66c1f76e89d3bb1d9c2cac9384fad32cbfc6a73a630085a6717f4f33838ef4c351e8d06da53f977bae37754ed947a7cd438efd33dae78e95adde182eb3d6fd1f8cf7552b077bdb48b8ec33d236caffb18aebb10cce",
    );
  });

  test.prop([key32, nonce24, bytes()], RUNS)("secretbox: opens what it sealed", (k, nonce, plaintext) => {
    const sealed = crypto().secretboxSeal(k, nonce, plaintext);
    expect(sealed).toHaveLength(plaintext.length + 16);
    expect(toHex(crypto().secretboxOpen(k, nonce, sealed) ?? fromHex("ff"))).toBe(toHex(plaintext));
  });

  test("secretbox: open fails for every flipped byte of tag, ciphertext, key and nonce", () => {
    const nonce = pattern(24, 50);
    const sealed = crypto().secretboxSeal(key, nonce, utf8("a revealed key secret"));
    for (let i = 0; i < sealed.length; i++) {
      expect(crypto().secretboxOpen(key, nonce, flipped(sealed, i))).toBeUndefined();
    }
    for (let i = 0; i < 32; i++) expect(crypto().secretboxOpen(flipped(key, i, 0x80), nonce, sealed)).toBeUndefined();
    for (let i = 0; i < 24; i++) expect(crypto().secretboxOpen(key, flipped(nonce, i, 0x80), sealed)).toBeUndefined();
    expect(crypto().secretboxOpen(key, nonce, sealed.subarray(0, sealed.length - 1))).toBeUndefined();
    expect(crypto().secretboxOpen(key, nonce, sealed.subarray(0, 15))).toBeUndefined();
    expect(crypto().secretboxOpen(key, nonce, new Uint8Array(0))).toBeUndefined();
  });
}

function boundaryCases(crypto: Provider): void {
  test("randomBytes: returns the requested length, beyond WebCrypto's 65536-byte limit too", () => {
    expect(crypto().randomBytes(0)).toHaveLength(0);
    expect(crypto().randomBytes(1)).toHaveLength(1);
    const large = crypto().randomBytes(200_000);
    expect(large).toHaveLength(200_000);
    expect(large.subarray(150_000).some((byte) => byte !== 0)).toBe(true);
    expect(toHex(crypto().randomBytes(32))).not.toBe(toHex(crypto().randomBytes(32)));
    expect(() => crypto().randomBytes(-1)).toThrow(/length/);
    expect(() => crypto().randomBytes(1.5)).toThrow(TypeError);
  });

  test("argument checks: wrong-length keys and nonces throw a TypeError naming the argument", () => {
    const c = crypto();
    const data = utf8("data");
    const cases: Array<[() => unknown, string]> = [
      [() => c.ed25519KeyPair(pattern(31)), "seed"],
      [() => c.ed25519Sign(pattern(63), data), "secretKey"],
      [() => c.x25519PublicKey(pattern(33)), "secret"],
      [() => c.x25519SharedSecret(pattern(31), pattern(32)), "secret"],
      [() => c.x25519SharedSecret(pattern(32), pattern(31)), "publicKey"],
      [() => c.xsalsa20Xor(pattern(31), pattern(24), data), "key"],
      [() => c.xsalsa20Xor(pattern(32), pattern(23), data), "nonce"],
      [() => c.xsalsa20Xor(pattern(32), pattern(24), data, new Uint8Array(data.length + 1)), "output"],
      [() => c.secretboxSeal(pattern(16), pattern(24), data), "key"],
      [() => c.secretboxSeal(pattern(32), pattern(12), data), "nonce"],
      [() => c.secretboxOpen(pattern(33), pattern(24), data), "key"],
      [() => c.secretboxOpen(pattern(32), pattern(25), data), "nonce"],
    ];
    for (const [call, argument] of cases) {
      expect(call).toThrow(TypeError);
      expect(call).toThrow(new RegExp(`^${argument}:`));
    }
  });
}
