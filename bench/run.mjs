// Runs one benchmark suite: `npm run bench -- <name>` (crypto, covalues, sync, storage, server).
// Each suite lives in bench/<name>.mjs, prints a table of ratios against a baseline measured in the
// same run, and writes bench/results/<name>.json.
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
// Modules that support suites rather than being one.
const helpers = ["run.mjs", "harness.mjs", "cojson-server.mjs"];
const suites = (await readdir(here)).filter((f) => f.endsWith(".mjs") && !helpers.includes(f));
const names = suites.map((f) => f.replace(/\.mjs$/, ""));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
if (wanted.length === 0) {
  console.error(`usage: npm run bench -- <${names.join("|")}> [more…]`);
  process.exit(2);
}
for (const name of wanted) {
  if (!names.includes(name)) {
    console.error(`unknown benchmark "${name}"; available: ${names.join(", ")}`);
    process.exit(2);
  }
}
await mkdir(join(here, "results"), { recursive: true });
for (const name of wanted) {
  const suite = await import(join(here, `${name}.mjs`));
  console.log(`\n## ${name}\n`);
  const result = await suite.run();
  const file = join(here, "results", `${name}.json`);
  await writeFile(file, `${JSON.stringify({ suite: name, at: new Date().toISOString(), node: process.version, ...result }, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}
