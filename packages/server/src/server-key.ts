import { access, chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { CoCrypto, mintSignupToken, type SignerId, type SignerSecret, signerSecretOfAgent } from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";

/** The server's own signing key: it signs durability receipts, and is published for clients. */
export interface ServerKey {
  readonly secret: SignerSecret;
  readonly signer: SignerId;
  /** The file it lives in; undefined for a key that dies with the process (in-memory servers). */
  readonly file: string | undefined;
}

/**
 * Reads the server key from `file`, or creates it there (readable by its owner only) on first
 * start, so receipts stay verifiable across restarts. Without a file the key lasts as long as
 * the process.
 */
export async function loadOrCreateServerKey(crypto: CoCrypto, file: string | undefined): Promise<ServerKey> {
  if (file === undefined) return keyOf(crypto, newSecret(crypto), undefined);
  let text: string | undefined;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`cannot read the server key file ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (text === undefined) {
    const secret = newSecret(crypto);
    await mkdir(dirname(file), { recursive: true });
    // The signer id rides along so a damaged secret (a character lost in an edit) is noticed.
    await writeFile(file, `${JSON.stringify({ signerSecret: secret, signer: crypto.signerId(secret) })}\n`, { mode: 0o600, flag: "wx" });
    await chmod(file, 0o600);
    return keyOf(crypto, secret, file);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`the server key file ${file} is not JSON; it should hold { "signerSecret": "signerSecret_z…" }`);
  }
  const { signerSecret: secret, signer } = (parsed ?? {}) as { signerSecret?: unknown; signer?: unknown };
  if (typeof secret !== "string" || !secret.startsWith("signerSecret_z")) {
    throw new Error(`the server key file ${file} has no signerSecret ("signerSecret_z…")`);
  }
  let key: ServerKey;
  try {
    key = keyOf(crypto, secret as SignerSecret, file);
  } catch {
    // Never repeat any of the secret in a message that ends up in logs.
    throw new Error(`the server key file ${file} holds an invalid signerSecret (not a base58 ed25519 seed of 32 bytes)`);
  }
  if (signer !== undefined && signer !== key.signer) {
    throw new Error(`the server key file ${file} is damaged: its signerSecret does not belong to its signer ${String(signer).slice(0, 60)}`);
  }
  return key;
}

/**
 * A sign-up token (for `auth.signup: "invite"`) signed with the key in `file`, valid `ttlMs`: what
 * `cosync signup-token` prints for an operator to hand a new user. The key must exist (the server
 * creates it on its first start).
 */
export async function signupTokenFromKeyFile(file: string, ttlMs: number): Promise<string> {
  const crypto = new CoCrypto(await loadNodeCryptoProvider());
  try {
    await access(file);
  } catch {
    throw new Error(`no server key at ${file}: start the server once (it creates it), or point --server-key-file at its key`);
  }
  const key = await loadOrCreateServerKey(crypto, file);
  return mintSignupToken(crypto, key.secret, { ttlMs, now: Date.now() });
}

function newSecret(crypto: CoCrypto): SignerSecret {
  return signerSecretOfAgent(crypto.newRandomAgentSecret());
}

function keyOf(crypto: CoCrypto, secret: SignerSecret, file: string | undefined): ServerKey {
  return { secret, signer: crypto.signerId(secret), file };
}
