/**
 * The primitives cosync needs, as bytes in and bytes out. Everything cojson-specific (prefixes,
 * base58, nonce derivation, key naming) is built on top of this in core (`CoCrypto`), so every
 * provider produces byte-identical ids, signatures and ciphertexts by construction.
 *
 * Implementations live in `@cosync/crypto` (a native Node one and a portable WASM one) and must
 * pass `runCryptoProviderConformance` from `@cosync/testing`. Contract:
 * - All functions are synchronous and pure except `randomBytes`.
 * - Inputs are never mutated; outputs are fresh arrays the caller may keep.
 * - Wrong-length keys or nonces throw a TypeError naming the argument.
 */
export interface CryptoProvider {
  /** Short name for benchmarks and logs, e.g. "node-native" or "portable-wasm". */
  readonly name: string;

  /** Cryptographically secure random bytes. */
  randomBytes(length: number): Uint8Array;

  /** BLAKE3, 32-byte output. */
  blake3(data: Uint8Array): Uint8Array;

  /** A streaming BLAKE3 hasher, optionally resumed from `HashChain.saveState()` bytes. */
  createHashChain(savedState?: Uint8Array): HashChain;

  /** Ed25519 key pair from a 32-byte seed; `secretKey` is libsodium's 64-byte seed‖public form. */
  ed25519KeyPair(seed: Uint8Array): { readonly publicKey: Uint8Array; readonly secretKey: Uint8Array };

  /** Ed25519 signature (64 bytes) with a 64-byte secret key from `ed25519KeyPair`. */
  ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array;

  /** Ed25519 verification; false (never a throw) for any malformed signature or key. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;

  /** X25519 public key of a 32-byte secret. */
  x25519PublicKey(secret: Uint8Array): Uint8Array;

  /** Raw X25519 shared secret (no hashing), as cojson keys its secretbox with it. */
  x25519SharedSecret(secret: Uint8Array, publicKey: Uint8Array): Uint8Array;

  /**
   * XSalsa20 keystream XOR (no MAC): encrypts and decrypts. 32-byte key, 24-byte nonce. Writes
   * into `output` when given (as long as `data`; may be `data` itself) and returns it, so hot
   * paths can reuse one buffer; otherwise returns a new array.
   */
  xsalsa20Xor(key: Uint8Array, nonce: Uint8Array, data: Uint8Array, output?: Uint8Array): Uint8Array;

  /** XSalsa20-Poly1305 secretbox: returns tag‖ciphertext. */
  secretboxSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array;

  /** Opens tag‖ciphertext; undefined if the tag does not verify. */
  secretboxOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Uint8Array | undefined;
}

/**
 * A never-reset BLAKE3 stream, as cojson keeps one per (CoValue, session).
 *
 * `digest()` is a snapshot: it returns the hash of everything fed so far and leaves the stream
 * able to continue. `saveState()` returns opaque bytes `createHashChain(savedState)` resumes from
 * (only the same provider implementation need understand them).
 */
export interface HashChain {
  update(data: Uint8Array): void;
  /** `update(utf8(text))`, without allocating the bytes (this runs for every transaction). */
  updateText(text: string): void;
  digest(): Uint8Array;
  saveState(): Uint8Array;
  clone(): HashChain;
}
