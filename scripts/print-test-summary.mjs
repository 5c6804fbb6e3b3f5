// Prints "N passed, N failed" from Vitest's JSON report (this workplace's CI reads only that line).
// Exits non-zero when the report is missing, counts a failure, or ran no test at all.
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? ".vitest-report.json";
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch (error) {
  console.log("0 passed, 1 failed");
  console.error(`no readable Vitest report at ${file}: ${error.message}`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// Files that failed without any test result (they failed to load) count as failures too: their
// tests never ran. Files with failing tests are already counted through numFailedTests.
const unloaded = (report.testResults ?? []).filter((file) => file.status === "failed" && (file.assertionResults ?? []).length === 0).length;
const failed = (report.numFailedTests ?? 0) + unloaded;
const skipped = report.numPendingTests ?? 0;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
