/**
 * Types for the part of sodium-native 5 this package calls. `@types/sodium-native` describes
 * version 2 and takes only `Buffer`s, while version 5 accepts any `Uint8Array`.
 * Every function throws on wrong-length arguments; the `*_open`/`*_verify` ones return false
 * when authentication fails.
 */
declare module "sodium-native" {
  interface SodiumNative {
    randombytes_buf(buffer: Uint8Array): void;
    crypto_sign_seed_keypair(publicKey: Uint8Array, secretKey: Uint8Array, seed: Uint8Array): void;
    crypto_sign_detached(signature: Uint8Array, message: Uint8Array, secretKey: Uint8Array): void;
    crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
    crypto_scalarmult_base(publicKey: Uint8Array, secret: Uint8Array): void;
    /** Throws when the result is all zeros (a low-order `point`). */
    crypto_scalarmult(shared: Uint8Array, secret: Uint8Array, point: Uint8Array): void;
    /** Throws for a low-order or non-canonical `point` (and when the product is the identity). */
    crypto_scalarmult_ed25519_noclamp(product: Uint8Array, scalar: Uint8Array, point: Uint8Array): void;
    /** XSalsa20 (libsodium's default `crypto_stream`). */
    crypto_stream_xor(output: Uint8Array, input: Uint8Array, nonce: Uint8Array, key: Uint8Array): void;
    /** Writes tag‖ciphertext. */
    crypto_secretbox_easy(sealed: Uint8Array, plaintext: Uint8Array, nonce: Uint8Array, key: Uint8Array): void;
    crypto_secretbox_open_easy(plaintext: Uint8Array, sealed: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean;
  }
  const sodium: SodiumNative;
  export default sodium;
}
