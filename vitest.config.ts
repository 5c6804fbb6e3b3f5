import { playwright } from "@vitest/browser-playwright";
import { defaultClientConditions, defaultServerConditions } from "vite";
import { configDefaults, defineConfig } from "vitest/config";
import { syncServerCommands } from "./tests/browser/sync-server-commands.js";

// Tests import workspace packages from their TypeScript sources (the "@cosync/source" export
// condition), so `vitest` never runs against a stale dist/. Only our own packages carry that
// condition; everything in node_modules resolves with Vite's defaults (adding "import" here would
// leak into Node's own `require` of externalized CommonJS packages such as pg).
// Both projects extend this root config, so the condition (and the timeouts) apply to each.
export default defineConfig({
  resolve: { conditions: ["@cosync/source", ...defaultClientConditions] },
  ssr: { resolve: { conditions: ["@cosync/source", ...defaultServerConditions] } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          include: ["packages/*/src/**/*.test.ts", "tests/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "**/*.browser.test.{ts,tsx}"],
        },
      },
      {
        // STYLE §5.9 "Browser": *.browser.test.ts in Debian's Chromium (a downloaded browser fails here).
        extends: true,
        // Pre-bundle the browser tests' dependencies up front, not only when the scan finds them: a
        // dependency discovered mid-run makes Vite re-optimize and reload the page, failing the run.
        optimizeDeps: {
          include: [
            "fast-check",
            "@scure/base",
            "unicode-segmenter/grapheme",
            "zod",
            "react",
            "react/jsx-dev-runtime",
            "react/jsx-runtime",
            "react-dom",
            "react-dom/client",
            "@testing-library/react",
          ],
        },
        test: {
          name: "browser",
          include: ["**/*.browser.test.{ts,tsx}"],
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: "/usr/bin/chromium",
                args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
              },
            }),
            instances: [{ browser: "chromium" }],
            // A real sync server the browser tests start, restart and stop (tests/browser).
            commands: syncServerCommands,
          },
        },
      },
    ],
  },
});
