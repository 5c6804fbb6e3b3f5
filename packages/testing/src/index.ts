/** `@cosync/testing`: conformance suites and test helpers shared by cosync packages. */
export { runCryptoProviderConformance } from "./crypto-provider-conformance.js";
export { runStorageConformance, type StorageSetup } from "./storage-conformance.js";
export * from "./storage-test-data.js";
export { type ChannelPair, type ChannelSetup, type ReleaseCongestion, runChannelConformance } from "./channel-conformance.js";
export { type CaseContext, CaseFailure, type ConformanceCase, conformanceCases } from "./conformance/cases.js";
export {
  type CaseResult,
  type ConformanceOptions,
  type ConformanceReport,
  discoverExtensions,
  formatConformanceReport,
  runConformance,
} from "./conformance/run-conformance.js";
export type { ConformanceSocket, ConformanceSocketConstructor } from "./conformance/wire-connection.js";
