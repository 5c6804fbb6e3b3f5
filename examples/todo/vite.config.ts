import { defaultClientConditions, defineConfig } from "vite";

// The cosync packages are resolved from their TypeScript sources (the "@cosync/source" export
// condition), so the app runs without building the packages first. JSX is compiled by Vite's own
// transform (automatic runtime, from tsconfig.json).
export default defineConfig({
  resolve: { conditions: ["@cosync/source", ...defaultClientConditions] },
  build: { target: "es2022", reportCompressedSize: true, chunkSizeWarningLimit: 2_000 },
});
