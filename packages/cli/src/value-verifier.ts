// Verifies CoValue logs read from a dump or from another store before they are written anywhere:
// the header must hash to the id, and every session piece must extend its hash chain and carry a
// valid signature of the session's signer — the checks a sync server makes on content it
// receives (core's VerifiedLog/SessionLog), with signers resolved the same way.
import {
  type AppendChunk,
  type AppendSessionPiece,
  type CoCrypto,
  type CoId,
  type CoValueHeader,
  idForHeader,
  isAgentId,
  type SessionId,
  type SignerId,
  type StoredSessionPiece,
  sessionOwner,
  signerIdOfAgent,
  type Transaction,
  validateTransaction,
  VerifiedLog,
} from "@cosync/core";

/** Something in the data failed verification; the message names the value, session and check. */
export class VerificationError extends Error {
  override readonly name = "VerificationError";
}

/**
 * Who signs each session. An agent session names its signer; an account session is signed by the
 * account's initial admin agent, read from the account's header (as the server does). Headers of
 * groups and accounts are remembered as values pass by; others are looked up with `lookup`.
 */
export class SignerDirectory {
  readonly #signers = new Map<CoId, SignerId | undefined>();
  readonly #lookup: (id: CoId) => Promise<CoValueHeader | undefined>;

  constructor(lookup: (id: CoId) => Promise<CoValueHeader | undefined>) {
    this.#lookup = lookup;
  }

  remember(id: CoId, header: CoValueHeader): void {
    if (header.ruleset.type === "group") this.#signers.set(id, signerOfHeader(header));
  }

  /** The signer of `sessionId`, or a reason it has none. */
  async signerOf(sessionId: SessionId): Promise<SignerId | { readonly problem: string }> {
    const owner = sessionOwner(sessionId);
    if (isAgentId(owner)) return signerIdOfAgent(owner);
    const account = owner as CoId;
    if (!this.#signers.has(account)) {
      const header = await this.#lookup(account);
      if (header !== undefined) this.#signers.set(account, signerOfHeader(header));
    }
    const signer = this.#signers.get(account);
    if (signer === undefined) return { problem: `its signer account ${account} is not available (not earlier in the data, nor in the target store)` };
    return signer;
  }
}

function signerOfHeader(header: CoValueHeader): SignerId | undefined {
  const admin = header.ruleset.type === "group" ? header.ruleset.initialAdmin : undefined;
  return isAgentId(admin) ? signerIdOfAgent(admin) : undefined;
}

/** Verifies one CoValue piece by piece and turns each verified piece into a storage append. */
export class ValueVerifier {
  readonly id: CoId;
  readonly #log: VerifiedLog;
  readonly #signers: SignerDirectory;
  #headerSent = false;

  constructor(id: CoId, header: CoValueHeader, crypto: CoCrypto, signers: SignerDirectory) {
    if (idForHeader(header, (bytes) => crypto.provider.blake3(bytes)) !== id) {
      throw new VerificationError(`${id}: its header does not hash to its id`);
    }
    this.id = id;
    this.#log = new VerifiedLog(id, header, crypto);
    this.#signers = signers;
    signers.remember(id, header);
  }

  /** Verifies a piece; returns the chunk to append (header on the first), or throws VerificationError. */
  async verify(sessions: Readonly<Record<SessionId, StoredSessionPiece>>): Promise<AppendChunk> {
    const verified: Record<SessionId, AppendSessionPiece> = {};
    for (const [sessionId, piece] of Object.entries(sessions) as [SessionId, StoredSessionPiece][]) {
      const where = `${this.id} session ${sessionId}`;
      const signer = await this.#signers.signerOf(sessionId);
      if (typeof signer !== "string") throw new VerificationError(`${where}: ${signer.problem}`);
      const transactions = piece.transactions.map((text, index) => parseTransaction(text, `${where} transaction ${piece.after + index}`));
      const result = this.#log.verifySession(sessionId, { after: piece.after, newTransactions: transactions, lastSignature: piece.lastSignature }, signer);
      if (!result.ok) {
        const error = result.error;
        if (error.type === "InvalidSignature") throw new VerificationError(`${where}: the signature after transaction ${piece.after} does not match the transactions (tampered or corrupt)`);
        if (error.type === "Gap") throw new VerificationError(`${where}: a piece starts after transaction ${error.after} but only ${error.have} came before it`);
        throw new VerificationError(`${where}: transaction ${error.at} differs from the one given earlier at that index`);
      }
      const from = result.value.from;
      this.#log.commitSession(sessionId, result.value);
      const log = this.#log.sessions.get(sessionId);
      if (log === undefined || result.value.serialized.length === 0) continue;
      verified[sessionId] = { after: from, transactions: result.value.serialized, lastSignature: piece.lastSignature, hashState: log.saveChainState() };
    }
    const chunk: AppendChunk = this.#headerSent ? { id: this.id, sessions: verified } : { id: this.id, header: this.#log.header, sessions: verified };
    this.#headerSent = true;
    return chunk;
  }
}

function parseTransaction(text: string, where: string): Transaction {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new VerificationError(`${where}: not JSON`);
  }
  const result = validateTransaction(value);
  if (!result.ok) throw new VerificationError(`${where}: not a transaction (${result.error})`);
  return result.value;
}
