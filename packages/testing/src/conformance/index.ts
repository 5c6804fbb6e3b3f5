// `@cosync/testing/conformance`: the wire conformance runner alone, free of any test framework, so
// the `cosync conformance` command can run it.
export { type CaseContext, CaseFailure, type ConformanceCase, conformanceCases } from "./cases.js";
export {
  type CaseResult,
  type ConformanceOptions,
  type ConformanceReport,
  discoverExtensions,
  formatConformanceReport,
  runConformance,
} from "./run-conformance.js";
export type { ConformanceSocket, ConformanceSocketConstructor } from "./wire-connection.js";
