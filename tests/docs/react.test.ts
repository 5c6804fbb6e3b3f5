// docs/react.md's ```tsx blocks must appear verbatim in the browser test that renders them, so
// the page shows code that compiles and runs (packages/react/src/react-docs.browser.test.tsx).
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const repo = join(dirname(fileURLToPath(import.meta.url)), "../..");

test("every tsx block of docs/react.md is in the browser test that renders it", async () => {
  const markdown = await readFile(join(repo, "docs/react.md"), "utf8");
  const rendered = await readFile(join(repo, "packages/react/src/react-docs.browser.test.tsx"), "utf8");
  const blocks = [...markdown.matchAll(/^```tsx\n([\s\S]*?)^```$/gm)].map((match) => match[1] as string);
  expect(blocks.length).toBeGreaterThanOrEqual(2);
  for (const block of blocks) expect(rendered).toContain(block);
});
