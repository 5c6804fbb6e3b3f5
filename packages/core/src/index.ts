// The public surface of @cosync/core. Named re-exports only.

export * from "./covalues/header.js";
export * from "./crypto/crypto-provider.js";
export * from "./encoding/base58.js";
export * from "./encoding/base64url.js";
export * from "./encoding/canonical-json.js";
export * from "./encoding/utf8.js";
export * from "./errors.js";
export * from "./ids/agent-id.js";
export * from "./ids/co-id.js";
export * from "./ids/crypto-strings.js";
export * from "./ids/session-id.js";
export * from "./log/transaction.js";
export * from "./protocol/messages.js";
export * from "./protocol/validate.js";
export * from "./result.js";
export * from "./storage/memory-storage.js";
export * from "./storage/session-pieces.js";
export * from "./storage/storage-adapter.js";
export * from "./sync/known-state.js";
export * from "./crypto/co-crypto.js";
export * from "./log/make-transaction.js";
export * from "./log/session-log.js";
export * from "./log/verified-log.js";
export * from "./covalues/decoded-transaction.js";
export * from "./transport/peer-channel.js";
