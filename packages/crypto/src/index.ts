/**
 * `@cosync/crypto`: the native `CryptoProvider` for Node (servers, CLIs, Node apps). Browsers
 * import `@cosync/crypto/portable` instead. The portable provider is not re-exported here: its
 * libsodium WASM module costs a Node process ~5 MB of memory just by being imported.
 */
export { loadNodeCryptoProvider } from "./node-crypto-provider.js";
