import { defaultClientConditions, defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// Tests import workspace packages from their TypeScript sources (the "@cosync/source" export
// condition), so `vitest` never runs against a stale dist/. Only our own packages carry that
// condition; everything in node_modules resolves with Vite's defaults (adding "import" here would
// leak into Node's own `require` of externalized CommonJS packages such as pg).
export default defineConfig({
  resolve: { conditions: ["@cosync/source", ...defaultClientConditions] },
  ssr: { resolve: { conditions: ["@cosync/source", ...defaultServerConditions] } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "tests/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
