import type { CryptoProvider } from "@cosync/core";
import sodium from "sodium-native";
import { assertByteCount, assertBytes, assertLength } from "./assert-bytes.js";
import { loadEd25519Verify } from "./ed25519-verifier.js";
import { loadHashWasmBlake3 } from "./hash-wasm-blake3.js";

/**
 * Loads the server `CryptoProvider` ("node-native"): native libsodium through sodium-native for
 * signing, X25519 and XSalsa20(-Poly1305); ed25519-dalek's native verification under libsodium's
 * rules (ed25519-verifier.ts); and hash-wasm's WASM BLAKE3, which beats the native bindings on
 * transaction-sized inputs (measured on our 2-core machines; bench/ reproduces it). Node only;
 * browsers use `loadPortableCryptoProvider`, which produces identical bytes and verdicts.
 */
export async function loadNodeCryptoProvider(): Promise<CryptoProvider> {
  const blake3 = await loadHashWasmBlake3();
  return {
    name: "node-native",
    randomBytes,
    blake3: blake3.hash,
    createHashChain: blake3.createHashChain,
    ed25519KeyPair,
    ed25519Sign,
    ed25519Verify: loadEd25519Verify(),
    x25519PublicKey,
    x25519SharedSecret,
    xsalsa20Xor,
    secretboxSeal,
    secretboxOpen,
  };
}

const TAG_BYTES = 16;

function randomBytes(length: number): Uint8Array {
  assertByteCount(length, "length");
  const bytes = new Uint8Array(length);
  sodium.randombytes_buf(bytes);
  return bytes;
}

function ed25519KeyPair(seed: Uint8Array): { readonly publicKey: Uint8Array; readonly secretKey: Uint8Array } {
  assertLength(seed, 32, "seed");
  const publicKey = new Uint8Array(32);
  const secretKey = new Uint8Array(64);
  sodium.crypto_sign_seed_keypair(publicKey, secretKey, seed);
  return { publicKey, secretKey };
}

function ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  assertLength(secretKey, 64, "secretKey");
  assertBytes(message, "message");
  const signature = new Uint8Array(64);
  sodium.crypto_sign_detached(signature, message, secretKey);
  return signature;
}

function x25519PublicKey(secret: Uint8Array): Uint8Array {
  assertLength(secret, 32, "secret");
  const publicKey = new Uint8Array(32);
  sodium.crypto_scalarmult_base(publicKey, secret);
  return publicKey;
}

function x25519SharedSecret(secret: Uint8Array, publicKey: Uint8Array): Uint8Array {
  assertLength(secret, 32, "secret");
  assertLength(publicKey, 32, "publicKey");
  const shared = new Uint8Array(32);
  try {
    sodium.crypto_scalarmult(shared, secret, publicKey);
  } catch (cause) {
    // With lengths checked, libsodium fails only for a low-order point (all-zero secret).
    throw new TypeError("publicKey: low-order X25519 point, the shared secret would be all zeros", { cause });
  }
  return shared;
}

function xsalsa20Xor(key: Uint8Array, nonce: Uint8Array, data: Uint8Array, output?: Uint8Array): Uint8Array {
  assertLength(key, 32, "key");
  assertLength(nonce, 24, "nonce");
  assertBytes(data, "data");
  const out = output ?? new Uint8Array(data.length);
  if (output !== undefined) assertLength(output, data.length, "output");
  sodium.crypto_stream_xor(out, data, nonce, key);
  return out;
}

function secretboxSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  assertLength(key, 32, "key");
  assertLength(nonce, 24, "nonce");
  assertBytes(plaintext, "plaintext");
  const sealed = new Uint8Array(plaintext.length + TAG_BYTES);
  sodium.crypto_secretbox_easy(sealed, plaintext, nonce, key);
  return sealed;
}

function secretboxOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  assertLength(key, 32, "key");
  assertLength(nonce, 24, "nonce");
  assertBytes(sealed, "sealed");
  if (sealed.length < TAG_BYTES) return undefined;
  const plaintext = new Uint8Array(sealed.length - TAG_BYTES);
  return sodium.crypto_secretbox_open_easy(plaintext, sealed, nonce, key) ? plaintext : undefined;
}
