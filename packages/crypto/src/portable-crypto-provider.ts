import type { CryptoProvider } from "@cosync/core";
import { xsalsa20 } from "@noble/ciphers/salsa.js";
import sodium from "libsodium-wrappers-sumo";
import { assertByteCount, assertBytes, assertLength, isVerifiable } from "./assert-bytes.js";
import { loadHashWasmBlake3 } from "./hash-wasm-blake3.js";

/**
 * Loads the browser-and-Node `CryptoProvider` ("portable-wasm"): libsodium compiled to WASM for
 * signatures, X25519 and secretbox, @noble/ciphers for bare XSalsa20 (libsodium.js exposes no
 * XSalsa20 XOR), hash-wasm for BLAKE3. Uses no Node built-ins. Produces the same bytes as
 * `loadNodeCryptoProvider`.
 */
export async function loadPortableCryptoProvider(): Promise<CryptoProvider> {
  const getRandomValues = findGetRandomValues();
  const [blake3] = await Promise.all([loadHashWasmBlake3(), sodium.ready]);

  return {
    name: "portable-wasm",
    randomBytes: (length) => {
      assertByteCount(length, "length");
      const bytes = new Uint8Array(length);
      // getRandomValues refuses more than 65536 bytes per call.
      for (let offset = 0; offset < length; offset += 65_536) {
        getRandomValues(bytes.subarray(offset, offset + 65_536));
      }
      return bytes;
    },
    blake3: blake3.hash,
    createHashChain: blake3.createHashChain,
    ed25519KeyPair,
    ed25519Sign,
    ed25519Verify,
    x25519PublicKey,
    x25519SharedSecret,
    xsalsa20Xor,
    secretboxSeal,
    secretboxOpen,
  };
}

/** The part of WebCrypto used here, typed locally so this file needs neither DOM nor Node types. */
interface RandomSource {
  getRandomValues(array: Uint8Array): Uint8Array;
}

function findGetRandomValues(): (array: Uint8Array) => Uint8Array {
  const source = (globalThis as { readonly crypto?: RandomSource }).crypto;
  if (typeof source?.getRandomValues !== "function") {
    throw new Error("loadPortableCryptoProvider: globalThis.crypto.getRandomValues is not available");
  }
  return (array) => source.getRandomValues(array);
}

function ed25519KeyPair(seed: Uint8Array): { readonly publicKey: Uint8Array; readonly secretKey: Uint8Array } {
  assertLength(seed, 32, "seed");
  const { publicKey, privateKey } = sodium.crypto_sign_seed_keypair(seed);
  return { publicKey, secretKey: privateKey };
}

function ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  assertLength(secretKey, 64, "secretKey");
  assertBytes(message, "message");
  return sodium.crypto_sign_detached(message, secretKey);
}

function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  // libsodium.js throws on wrong lengths (and would take a string message): check shapes first.
  if (!isVerifiable(publicKey, message, signature)) return false;
  return sodium.crypto_sign_verify_detached(signature, message, publicKey);
}

function x25519PublicKey(secret: Uint8Array): Uint8Array {
  assertLength(secret, 32, "secret");
  return sodium.crypto_scalarmult_base(secret);
}

function x25519SharedSecret(secret: Uint8Array, publicKey: Uint8Array): Uint8Array {
  assertLength(secret, 32, "secret");
  assertLength(publicKey, 32, "publicKey");
  try {
    return sodium.crypto_scalarmult(secret, publicKey);
  } catch (cause) {
    // With lengths checked, libsodium fails only for a low-order point (all-zero secret).
    throw new TypeError("publicKey: low-order X25519 point, the shared secret would be all zeros", { cause });
  }
}

function xsalsa20Xor(key: Uint8Array, nonce: Uint8Array, data: Uint8Array, output?: Uint8Array): Uint8Array {
  assertLength(key, 32, "key");
  assertLength(nonce, 24, "nonce");
  assertBytes(data, "data");
  if (output !== undefined) assertLength(output, data.length, "output");
  return xsalsa20(key, nonce, data, output);
}

function secretboxSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  assertLength(key, 32, "key");
  assertLength(nonce, 24, "nonce");
  assertBytes(plaintext, "plaintext");
  return sodium.crypto_secretbox_easy(plaintext, nonce, key);
}

function secretboxOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  assertLength(key, 32, "key");
  assertLength(nonce, 24, "nonce");
  assertBytes(sealed, "sealed");
  if (sealed.length < 16) return undefined;
  try {
    return sodium.crypto_secretbox_open_easy(sealed, nonce, key);
  } catch {
    // With lengths checked, libsodium.js throws only when the tag does not verify.
    return undefined;
  }
}
