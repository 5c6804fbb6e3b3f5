/**
 * `@cosync/crypto`: `CryptoProvider` implementations. Servers load the native one; browsers
 * import `@cosync/crypto/portable`, which leaves sodium-native out.
 */
export { loadNodeCryptoProvider } from "./node-crypto-provider.js";
export { loadPortableCryptoProvider } from "./portable-crypto-provider.js";
