import { base58Decode, base58Encode } from "../encoding/base58.js";
import { base64urlEncode, tryBase64urlDecode } from "../encoding/base64url.js";
import { canonicalJsonOf, type JsonValue } from "../encoding/canonical-json.js";
import { tryUtf8DecodeStrict, utf8Decode, utf8Encode } from "../encoding/utf8.js";
import type {
  AgentId,
  AgentSecret,
  SealerId,
  SealerSecret,
  SignerId,
  SignerSecret,
} from "../ids/agent-id.js";
import { SHORT_HASH_LENGTH } from "../ids/co-id.js";
import type { Encrypted, Hash, KeyId, KeySecret, ShortHash, Signature } from "../ids/crypto-strings.js";
import type { CryptoProvider } from "./crypto-provider.js";

const NONCE_LENGTH = 24;
const MAX_INDEX_DIGITS = 16;
const CLOSE_BRACE = 0x7d;

// Decoding base58 costs about as much as a hash (measured on our 2-core machines; bench/ reproduces it), and the same few signers and
// sealers recur constantly, so decoded keys are cached per string.
class KeyCache<V> {
  readonly #entries = new Map<string, V>();
  constructor(private readonly limit: number) {}
  get(key: string, make: () => V): V {
    let value = this.#entries.get(key);
    if (value === undefined) {
      if (this.#entries.size >= this.limit) this.#entries.clear();
      value = make();
      this.#entries.set(key, value);
    }
    return value;
  }
}

function suffixBytes(value: string, prefix: string): Uint8Array {
  return base58Decode(value.slice(prefix.length));
}

/**
 * cojson 0.20's crypto formats over a byte-level `CryptoProvider`: ids, signatures over
 * hashes, XSalsa20 private payloads, sealed key reveals, group sealers and key-for-key wrapping.
 * Holds only caches; safe to share across a node.
 */
export class CoCrypto {
  readonly provider: CryptoProvider;
  readonly #signingKeys = new KeyCache<Uint8Array>(10_000);
  readonly #publicKeys = new KeyCache<Uint8Array>(100_000);
  readonly #readKeys = new KeyCache<Uint8Array>(10_000);
  #noncePrefix: { readonly coId: string; readonly sessionId: string; readonly bytes: Uint8Array; readonly length: number } | undefined;
  readonly #agentIds = new KeyCache<string>(1_000);

  constructor(provider: CryptoProvider) {
    this.provider = provider;
  }

  // ---- agents, sessions, keys -------------------------------------------------------------

  newRandomAgentSecret(): AgentSecret {
    const sealer = base58Encode(this.provider.randomBytes(32));
    const signer = base58Encode(this.provider.randomBytes(32));
    return `sealerSecret_z${sealer}/signerSecret_z${signer}`;
  }

  /** The agent secret an invite seed (or any 32-byte seed) stands for. */
  agentSecretFromSeed(seed: Uint8Array): AgentSecret {
    if (seed.length !== 32) throw new TypeError(`seed: expected 32 bytes, got ${seed.length}`);
    const sealer = this.hashWithContext(seed, "seal");
    const signer = this.hashWithContext(seed, "sign");
    return `sealerSecret_z${base58Encode(sealer)}/signerSecret_z${base58Encode(signer)}`;
  }

  agentId(secret: AgentSecret): AgentId {
    return this.#agentIds.get(secret, () => this.#deriveAgentId(secret)) as AgentId;
  }

  #deriveAgentId(secret: AgentSecret): AgentId {
    const slash = secret.indexOf("/");
    const sealer = this.sealerId(secret.slice(0, slash) as SealerSecret);
    const signer = this.signerId(secret.slice(slash + 1) as SignerSecret);
    return `${sealer}/${signer}`;
  }

  signerId(secret: SignerSecret): SignerId {
    const keyPair = this.provider.ed25519KeyPair(suffixBytes(secret, "signerSecret_z"));
    return `signer_z${base58Encode(keyPair.publicKey)}`;
  }

  sealerId(secret: SealerSecret): SealerId {
    return `sealer_z${base58Encode(this.provider.x25519PublicKey(suffixBytes(secret, "sealerSecret_z")))}`;
  }

  newSessionRandomPart(): string {
    return base58Encode(this.provider.randomBytes(8));
  }

  newDeleteSessionRandomPart(): string {
    return base58Encode(this.provider.randomBytes(7));
  }

  newKey(): { readonly id: KeyId; readonly secret: KeySecret } {
    return {
      id: `key_z${base58Encode(this.provider.randomBytes(12))}`,
      secret: `keySecret_z${base58Encode(this.provider.randomBytes(32))}`,
    };
  }

  newUniqueness(): `z${string}` {
    return `z${base58Encode(this.provider.randomBytes(12))}`;
  }

  // ---- hashing -----------------------------------------------------------------------------

  /** cojson's "hash with context": plain blake3(context ‖ data), not BLAKE3 derive-key mode. */
  hashWithContext(data: Uint8Array, context: string): Uint8Array {
    const contextBytes = utf8Encode(context);
    const joined = new Uint8Array(contextBytes.length + data.length);
    joined.set(contextBytes, 0);
    joined.set(data, contextBytes.length);
    return this.provider.blake3(joined);
  }

  secureHash(value: JsonValue): Hash {
    return `hash_z${base58Encode(this.provider.blake3(utf8Encode(canonicalJsonOf(value))))}`;
  }

  shortHash(value: JsonValue): ShortHash {
    const digest = this.provider.blake3(utf8Encode(canonicalJsonOf(value)));
    return `shortHash_z${base58Encode(digest.subarray(0, SHORT_HASH_LENGTH))}`;
  }

  #readKey(key: KeySecret): Uint8Array {
    return this.#readKeys.get(key, () => suffixBytes(key, "keySecret_z"));
  }

  nonceFor(material: JsonValue): Uint8Array {
    return this.provider.blake3(utf8Encode(canonicalJsonOf(material))).subarray(0, NONCE_LENGTH);
  }

  // ---- signatures --------------------------------------------------------------------------

  /** Signs the canonical JSON of `message` (for a hash: the string with its quotes). */
  sign(secret: SignerSecret, message: JsonValue): Signature {
    const secretKey = this.#signingKeys.get(
      secret,
      () => this.provider.ed25519KeyPair(suffixBytes(secret, "signerSecret_z")).secretKey,
    );
    const signature = this.provider.ed25519Sign(secretKey, utf8Encode(canonicalJsonOf(message)));
    return `signature_z${base58Encode(signature)}`;
  }

  /** Verifies a signature over the canonical JSON of `message`; false for anything malformed. */
  verify(signature: Signature, message: JsonValue, signer: SignerId): boolean {
    let publicKey: Uint8Array;
    let signatureBytes: Uint8Array;
    try {
      publicKey = this.#publicKeys.get(signer, () => suffixBytes(signer, "signer_z"));
      signatureBytes = suffixBytes(signature, "signature_z");
    } catch {
      return false;
    }
    return this.provider.ed25519Verify(publicKey, utf8Encode(canonicalJsonOf(message)), signatureBytes);
  }

  // ---- symmetric encryption (private transactions, key-for-key) ---------------------------

  /**
   * The nonce of a private transaction: blake3 of the canonical `{in, tx: {sessionID, txIndex}}`,
   * built with a fixed template (this runs for every private transaction read or written).
   */
  transactionNonce(coId: string, sessionId: string, txIndex: number): Uint8Array {
    // Every transaction of a session shares the material up to `txIndex`: reading or writing a
    // session nonces its transactions one after another, so the encoded prefix is kept for the
    // last (coId, session) and only the index digits are written per transaction.
    let prefix = this.#noncePrefix;
    if (prefix === undefined || prefix.coId !== coId || prefix.sessionId !== sessionId) {
      const head = utf8Encode(`{"in":${JSON.stringify(coId)},"tx":{"sessionID":${JSON.stringify(sessionId)},"txIndex":`);
      const bytes = new Uint8Array(head.length + MAX_INDEX_DIGITS + 2);
      bytes.set(head);
      prefix = { coId, sessionId, bytes, length: head.length };
      this.#noncePrefix = prefix;
    }
    const digits = String(txIndex);
    if (!Number.isSafeInteger(txIndex) || txIndex < 0) throw new TypeError(`txIndex: expected a non-negative integer, got ${digits}`);
    const { bytes } = prefix;
    let end = prefix.length;
    for (let index = 0; index < digits.length; index++) bytes[end++] = digits.charCodeAt(index);
    bytes[end++] = CLOSE_BRACE;
    bytes[end++] = CLOSE_BRACE;
    return this.provider.blake3(bytes.subarray(0, end)).subarray(0, NONCE_LENGTH);
  }

  /** XSalsa20 of UTF-8 `plaintext` with a read key and the nonce of `nonceMaterial` (or a nonce). */
  encryptText(plaintext: string, key: KeySecret, nonceMaterial: JsonValue | Uint8Array): Encrypted {
    const nonce = nonceMaterial instanceof Uint8Array ? nonceMaterial : this.nonceFor(nonceMaterial);
    const plain = utf8Encode(plaintext);
    const bytes = this.provider.xsalsa20Xor(this.#readKey(key), nonce, plain, plain);
    return `encrypted_U${base64urlEncode(bytes)}`;
  }

  /** Reverses `encryptText`; undefined if the payload is malformed. (No MAC: wrong keys give garbage.) */
  decryptText(encrypted: string, key: KeySecret, nonceMaterial: JsonValue | Uint8Array): string | undefined {
    if (!encrypted.startsWith("encrypted_U")) return undefined;
    const bytes = tryBase64urlDecode(encrypted.slice("encrypted_U".length));
    if (bytes === undefined) return undefined;
    const nonce = nonceMaterial instanceof Uint8Array ? nonceMaterial : this.nonceFor(nonceMaterial);
    // In place: the decoded ciphertext is ours and not needed afterwards.
    return utf8Decode(this.provider.xsalsa20Xor(this.#readKey(key), nonce, bytes, bytes));
  }

  /** Encrypts the canonical JSON of a value (how cojson encrypts key secrets). */
  encrypt(value: JsonValue, key: KeySecret, nonceMaterial: JsonValue): Encrypted {
    return this.encryptText(canonicalJsonOf(value), key, nonceMaterial);
  }

  decrypt(encrypted: string, key: KeySecret, nonceMaterial: JsonValue): JsonValue | undefined {
    const text = this.decryptText(encrypted, key, nonceMaterial);
    return text === undefined ? undefined : parseJsonOrUndefined(text);
  }

  /** `<encryptedId>_for_<encryptingId>` value: an old key wrapped with a newer (or parent) key. */
  encryptKeySecret(toEncrypt: { id: KeyId; secret: KeySecret }, encrypting: { id: KeyId; secret: KeySecret }): Encrypted {
    return this.encrypt(toEncrypt.secret, encrypting.secret, {
      encryptedID: toEncrypt.id,
      encryptingID: encrypting.id,
    });
  }

  decryptKeySecret(encrypted: string, encryptedId: KeyId, encrypting: { id: KeyId; secret: KeySecret }): KeySecret | undefined {
    const value = this.decrypt(encrypted, encrypting.secret, { encryptedID: encryptedId, encryptingID: encrypting.id });
    return typeof value === "string" && value.startsWith("keySecret_z") ? (value as KeySecret) : undefined;
  }

  // ---- sealing (key reveals) ---------------------------------------------------------------

  /** `sealed_U…`: secretbox keyed with the raw X25519 secret of sender and recipient. */
  seal(message: JsonValue, from: SealerSecret, to: SealerId, nonceMaterial: JsonValue): `sealed_U${string}` {
    const shared = this.provider.x25519SharedSecret(suffixBytes(from, "sealerSecret_z"), suffixBytes(to, "sealer_z"));
    const sealed = this.provider.secretboxSeal(shared, this.nonceFor(nonceMaterial), utf8Encode(canonicalJsonOf(message)));
    return `sealed_U${base64urlEncode(sealed)}`;
  }

  unseal(sealed: string, recipient: SealerSecret, from: SealerId, nonceMaterial: JsonValue): JsonValue | undefined {
    if (!sealed.startsWith("sealed_U")) return undefined;
    const bytes = tryBase64urlDecode(sealed.slice("sealed_U".length));
    if (bytes === undefined) return undefined;
    const shared = this.provider.x25519SharedSecret(suffixBytes(recipient, "sealerSecret_z"), suffixBytes(from, "sealer_z"));
    const plain = this.provider.secretboxOpen(shared, this.nonceFor(nonceMaterial), bytes);
    const text = plain === undefined ? undefined : tryUtf8DecodeStrict(plain);
    return text === undefined ? undefined : parseJsonOrUndefined(text);
  }

  /** The X25519 key pair every member of a group can derive from its current read key. */
  groupSealerFromReadKey(readKey: KeySecret): { readonly id: SealerId; readonly secret: SealerSecret } {
    const secret: SealerSecret = `sealerSecret_z${base58Encode(this.hashWithContext(utf8Encode(readKey), "groupSealer"))}`;
    return { id: this.sealerId(secret), secret };
  }

  /** `sealedForGroup_U…`: ephemeral public key ‖ secretbox keyed with X25519(ephemeral, group sealer). */
  sealForGroup(message: JsonValue, to: SealerId, nonceMaterial: JsonValue): `sealedForGroup_U${string}` {
    const ephemeral = this.provider.randomBytes(32);
    const ephemeralPublic = this.provider.x25519PublicKey(ephemeral);
    const shared = this.provider.x25519SharedSecret(ephemeral, suffixBytes(to, "sealer_z"));
    const box = this.provider.secretboxSeal(shared, this.nonceFor(nonceMaterial), utf8Encode(canonicalJsonOf(message)));
    const out = new Uint8Array(32 + box.length);
    out.set(ephemeralPublic, 0);
    out.set(box, 32);
    return `sealedForGroup_U${base64urlEncode(out)}`;
  }

  unsealForGroup(sealed: string, groupSealer: SealerSecret, nonceMaterial: JsonValue): JsonValue | undefined {
    if (!sealed.startsWith("sealedForGroup_U")) return undefined;
    const bytes = tryBase64urlDecode(sealed.slice("sealedForGroup_U".length));
    if (bytes === undefined || bytes.length < 32 + 16) return undefined;
    const shared = this.provider.x25519SharedSecret(suffixBytes(groupSealer, "sealerSecret_z"), bytes.subarray(0, 32));
    const plain = this.provider.secretboxOpen(shared, this.nonceFor(nonceMaterial), bytes.subarray(32));
    const text = plain === undefined ? undefined : tryUtf8DecodeStrict(plain);
    return text === undefined ? undefined : parseJsonOrUndefined(text);
  }
}

function parseJsonOrUndefined(text: string): JsonValue | undefined {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}

