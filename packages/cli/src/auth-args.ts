// `cosync serve`'s authentication flags → startSyncServer's `auth` and `serverKeyFile` options.
import type { SyncServerOptions } from "@cosync/server";
import { UsageError } from "./usage-error.js";

/** A flag's (or its variable's) text and where it came from, for error messages. */
export interface AuthSetting {
  readonly text: string;
  readonly source: string;
}

/** What the serve parser found for the auth flags (repeatable ones already split). */
export interface AuthSettings {
  readonly auth: AuthSetting | undefined;
  readonly signup: AuthSetting | undefined;
  readonly anonymous: AuthSetting | undefined;
  readonly allowAccounts: readonly AuthSetting[];
  readonly audiences: readonly AuthSetting[];
  readonly maxTokenHours: number | undefined;
}

const accountIdPattern = /^co_z[1-9A-HJ-NP-Za-km-z]+$/;

function oneOf<T extends string>(setting: AuthSetting | undefined, allowed: readonly T[]): T | undefined {
  if (setting === undefined) return undefined;
  const value = setting.text.trim() as T;
  if (!allowed.includes(value)) {
    const choices = allowed.length > 1 ? `${allowed.slice(0, -1).join(", ")} or ${allowed.at(-1)}` : allowed.join("");
    throw new UsageError(`${setting.source}: expected ${choices}, got "${setting.text}"`);
  }
  return value;
}

/** The `auth` option the flags ask for, or undefined when --auth is not set (refusing policies without it). */
export function authOptionFromSettings(settings: AuthSettings): SyncServerOptions["auth"] {
  const mode = oneOf(settings.auth, ["required", "optional"] as const);
  const signup = oneOf(settings.signup, ["open", "invite", "closed"] as const);
  const anonymous = oneOf(settings.anonymous, ["read", "none"] as const);
  const allowAccounts = settings.allowAccounts.map(({ text, source }) => {
    if (!accountIdPattern.test(text.trim())) throw new UsageError(`${source}: expected an account id (co_z…), got "${text}"`);
    return text.trim();
  });
  const audience = settings.audiences.map(({ text, source }) => {
    if (!/^wss?:\/\/[^/?#]+$/.test(text.trim())) throw new UsageError(`${source}: expected the server's origin as clients reach it, like wss://sync.example.com, got "${text}"`);
    return text.trim();
  });
  if (mode === undefined) {
    const stray = [settings.signup, settings.anonymous, settings.allowAccounts[0], settings.audiences[0]].find((s) => s !== undefined);
    if (stray !== undefined) throw new UsageError(`${stray.source} needs --auth required or --auth optional`);
    return undefined;
  }
  if (anonymous !== undefined && mode === "required") throw new UsageError(`${settings.anonymous?.source} applies to --auth optional only (required lets no tokenless connection in)`);
  return {
    mode,
    ...(signup === undefined ? {} : { signup }),
    ...(anonymous === undefined ? {} : { anonymous }),
    ...(allowAccounts.length === 0 ? {} : { allowAccounts }),
    ...(audience.length === 0 ? {} : { audience }),
    ...(settings.maxTokenHours === undefined ? {} : { maxTokenTtlMs: settings.maxTokenHours * 3_600_000 }),
  };
}

export const authUsage = `  --auth <required|optional>       authenticate connections with tokens (mintAuthToken in @cosync/core, sent as
                                   ?auth=…); optional admits tokenless ones too [COSYNC_AUTH] (default: no auth,
                                   as cojson's server)
  --signup <open|invite|closed>    new accounts: any, those with a sign-up token from "cosync signup-token", or none
                                   [COSYNC_SIGNUP] (default open)
  --anonymous <read|none>          with --auth optional: what tokenless connections may do [COSYNC_ANONYMOUS]
                                   (default read: load and subscribe, never write)
  --allow-account <co_z…>          only these accounts may authenticate. Repeatable [COSYNC_ALLOW_ACCOUNT, comma-separated]
  --auth-audience <wss://host>     the origin tokens must name, as clients reach the server (behind a proxy: its
                                   public address). Repeatable [COSYNC_AUTH_AUDIENCE] (default: the listening URL)
  --max-token-hours <h>            longest token lifetime accepted [COSYNC_MAX_TOKEN_HOURS] (default 24)
  --server-key-file <path>         the server's signing key (receipts, sign-up tokens), created if missing
                                   [COSYNC_SERVER_KEY_FILE] (default: server-key.json beside a SQLite file; a
                                   key per process otherwise)
  --unauth-messages-per-second <n>  all connections without an account together [COSYNC_UNAUTH_MESSAGES_PER_SECOND]
  --unauth-bytes-per-second <size>  their byte rate together [COSYNC_UNAUTH_BYTES_PER_SECOND]`;
