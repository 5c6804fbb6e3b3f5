import { defineConfig } from "vitest/config";

// Tests import workspace packages from their TypeScript sources (the "@cosync/source" export
// condition), so `vitest` never runs against a stale dist/.
const sourceConditions = ["@cosync/source", "import", "module", "node", "default"];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions, externalConditions: ["@cosync/source"] } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "tests/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
