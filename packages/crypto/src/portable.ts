/**
 * `@cosync/crypto/portable`: the browser-safe entry point, free of sodium-native and Node
 * built-ins, for bundles that must not pull in a native addon.
 */
export { loadPortableCryptoProvider } from "./portable-crypto-provider.js";
