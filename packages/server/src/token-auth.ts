import type { IncomingMessage } from "node:http";
import {
  type AgentId,
  accountHeader,
  type CoCrypto,
  type CoId,
  idForHeader,
  type LocalNode,
  readAuthToken,
  type SignerId,
  signupTokenProblem,
} from "@cosync/core";
import type { AuthVerdict } from "./server-options.js";

/** Who may connect, and how (`auth` option; off by default so plain cojson clients keep working). */
export interface TokenAuthOptions {
  /** "required": every connection carries a token; "optional": tokenless ones are anonymous. */
  readonly mode: "required" | "optional";
  /**
   * The audiences (server origins, e.g. "wss://sync.example.com") tokens must name. Default: the
   * URL the server listens on, which is right only when clients reach it directly.
   */
  readonly audience?: string | readonly string[];
  /**
   * New accounts: "open" (any, default), "invite" (those showing a sign-up token this server
   * issued, `?signup=…`; see mintSignupToken), "closed" (only accounts this server holds).
   */
  readonly signup?: "open" | "invite" | "closed";
  /** If set, only these accounts may authenticate. */
  readonly allowAccounts?: Iterable<string>;
  /** What tokenless connections may do in "optional" mode: "read" (load, subscribe; default) or "none". */
  readonly anonymous?: "read" | "none";
  /** Longest token lifetime accepted (ms). Default 24 h. */
  readonly maxTokenTtlMs?: number;
}

export interface ResolvedTokenAuth {
  readonly mode: "required" | "optional";
  readonly audience: readonly string[] | undefined;
  readonly signup: "open" | "invite" | "closed";
  readonly allowAccounts: ReadonlySet<string> | undefined;
  readonly anonymous: "read" | "none";
  readonly maxTokenTtlMs: number;
}

const authNames = new Set(["mode", "audience", "signup", "allowAccounts", "anonymous", "maxTokenTtlMs"]);

/** Validates the `auth` option, naming what is wrong. */
export function resolveTokenAuth(auth: TokenAuthOptions | undefined): ResolvedTokenAuth | undefined {
  if (auth === undefined) return undefined;
  if (auth === null || typeof auth !== "object") throw new TypeError("auth: expected an object { mode, … }");
  for (const name of Object.keys(auth)) {
    if (!authNames.has(name)) throw new TypeError(`auth.${name}: unknown option (expected one of ${[...authNames].join(", ")})`);
  }
  if (auth.mode !== "required" && auth.mode !== "optional") throw new TypeError(`auth.mode: expected "required" or "optional", got ${String(auth.mode)}`);
  const signup = auth.signup ?? "open";
  if (signup !== "open" && signup !== "invite" && signup !== "closed") {
    throw new TypeError(`auth.signup: expected "open", "invite" or "closed", got ${String(signup)}`);
  }
  const anonymous = auth.anonymous ?? "read";
  if (anonymous !== "read" && anonymous !== "none") throw new TypeError(`auth.anonymous: expected "read" or "none", got ${String(anonymous)}`);
  const audience = auth.audience === undefined ? undefined : typeof auth.audience === "string" ? [auth.audience] : [...auth.audience];
  if (audience?.some((a) => typeof a !== "string" || a === "") === true) throw new TypeError("auth.audience: expected server origins (non-empty strings)");
  const maxTokenTtlMs = auth.maxTokenTtlMs ?? 24 * 60 * 60 * 1000;
  if (!Number.isInteger(maxTokenTtlMs) || maxTokenTtlMs < 1) throw new RangeError(`auth.maxTokenTtlMs: expected a positive integer, got ${String(maxTokenTtlMs)}`);
  const allowAccounts = auth.allowAccounts === undefined ? undefined : new Set(auth.allowAccounts);
  return { mode: auth.mode, audience, signup, allowAccounts, anonymous, maxTokenTtlMs };
}

/** The token a request carries: `?auth=…` in its URL (what any WebSocket client can send), or a bearer header. */
function tokenOf(request: IncomingMessage): string | undefined {
  const query = new URL(request.url ?? "/", "http://server").searchParams.get("auth");
  if (query !== null) return query;
  const header = request.headers.authorization;
  return header?.startsWith("Bearer ") === true ? header.slice("Bearer ".length) : undefined;
}

export interface TokenAuthContext {
  readonly crypto: CoCrypto;
  readonly node: LocalNode;
  readonly now: () => number;
  /** The audiences accepted (the configured ones, or the server's own URL once it listens). */
  readonly audiences: () => readonly string[];
  /** The server's own signer: sign-up tokens must be signed by it. */
  readonly serverSigner: SignerId;
}

/**
 * The server's built-in authentication: a token (core's `mintAuthToken`) proves the connection
 * holds the agent secret of an account. The agent must be that account's current agent: for an
 * account this server holds, an admin of the account group now (a revoked agent fails); for one it
 * doesn't hold yet (a sign-up), its founding agent — the account id is the hash of a header naming
 * it — which only "open" sign-up accepts.
 */
export function createTokenAuthenticator(auth: ResolvedTokenAuth, ctx: TokenAuthContext): (request: IncomingMessage) => Promise<AuthVerdict> {
  return async (request) => {
    const token = tokenOf(request);
    if (token === undefined) {
      if (auth.mode === "required" || auth.anonymous === "none") {
        return { ok: false, reason: "authentication required: connect with ?auth=<token> (mintAuthToken from @cosync/core)" };
      }
      return { ok: true, anonymous: true };
    }
    const audiences = ctx.audiences();
    let claims: ReturnType<typeof readAuthToken> | undefined;
    for (const audience of audiences) {
      claims = readAuthToken(ctx.crypto, token, { audience, now: ctx.now(), maxTtlMs: auth.maxTokenTtlMs });
      if (claims.ok || !claims.error.includes("not this server")) break;
    }
    if (claims === undefined || !claims.ok) return { ok: false, reason: `invalid token: ${claims?.error ?? "no audience configured"}` };
    const { accountId, agentId } = claims.value;
    if (auth.allowAccounts !== undefined && !auth.allowAccounts.has(accountId)) {
      return { ok: false, reason: `account ${accountId} is not on this server's allow-list` };
    }
    const standing = await agentStanding(ctx, accountId, agentId);
    if (standing === "current") return { ok: true, accountId, agentId };
    if (standing === "founder") return signUp(auth, ctx, request, accountId, agentId);
    return { ok: false, reason: standing };
  };
}

function signUp(auth: ResolvedTokenAuth, ctx: TokenAuthContext, request: IncomingMessage, accountId: CoId, agentId: AgentId): AuthVerdict {
  if (auth.signup === "open") return { ok: true, accountId, agentId };
  if (auth.signup === "closed") return { ok: false, reason: `this server takes no new accounts (${accountId} is unknown here)` };
  const invitation = new URL(request.url ?? "/", "http://server").searchParams.get("signup");
  if (invitation === null) return { ok: false, reason: `${accountId} is unknown here: new accounts need a sign-up token (?signup=…) from this server` };
  const problem = signupTokenProblem(ctx.crypto, invitation, ctx.serverSigner, ctx.now());
  return problem === undefined ? { ok: true, accountId, agentId } : { ok: false, reason: problem };
}

async function agentStanding(ctx: TokenAuthContext, accountId: CoId, agentId: AgentId): Promise<"current" | "founder" | string> {
  const founding = idForHeader(accountHeader(agentId), (bytes) => ctx.crypto.provider.blake3(bytes)) === accountId;
  // Only an account is loaded: a stranger's token naming any other value must not make the server
  // read it (its header, from memory or a cheap summary, says what it is).
  const header = ctx.node.peekEntry(accountId)?.log?.header ?? (await ctx.node.storage?.summary(accountId))?.header;
  if (header === undefined) return founding ? "founder" : `agent ${agentId} did not found account ${accountId}, which this server does not hold`;
  if (header.ruleset.type !== "group" || header.meta?.type !== "account") return `${accountId} is not an account`;
  if ((await ctx.node.load(accountId)).status === "unavailable") return founding ? "founder" : `account ${accountId} could not be read here`;
  const account = ctx.node.getGroup(accountId);
  const role = account?.roleOf(agentId);
  if (role === "admin") return "current";
  // A bare header (anyone can compute a founder's account id) gives no one a role: its founder
  // still signs up as one.
  if (founding && account !== undefined && account.state.entries.size === 0) return "founder";
  return `agent ${agentId} is ${role === "revoked" ? "revoked from" : "not an agent of"} account ${accountId}`;
}
