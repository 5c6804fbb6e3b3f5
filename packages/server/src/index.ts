// The public surface of @cosync/server. Named re-exports only.

export { startSyncServer, type SyncServer } from "./start-sync-server.js";
export {
  type AuthenticateHook,
  type AuthVerdict,
  defaultDbFile,
  serverDefaults,
  type ServerLimits,
  type SyncServerOptions,
} from "./server-options.js";
export type { ClusterOption, ClusterOptions } from "./cluster/cluster-options.js";
export { createServerLogger, formatPretty, type LogFormat, logLevels, type LogOptions } from "./server-logger.js";
export type { RateLimits } from "./account-limits.js";
export { signupTokenFromKeyFile } from "./server-key.js";
export type { TokenAuthOptions } from "./token-auth.js";
export { type RateLimit, TokenBucket } from "./token-bucket.js";
