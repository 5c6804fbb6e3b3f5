#!/usr/bin/env node
// Prints the built bundle's size (run `npm run build -w examples/todo` first): each asset raw and
// gzipped, and the gzipped total — app, React, engine and crypto together.
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const assets = fileURLToPath(new URL("../dist/assets/", import.meta.url));
let total = 0;
for (const name of (await readdir(assets)).sort()) {
  const bytes = await readFile(`${assets}${name}`);
  const gzip = gzipSync(bytes, { level: 9 }).length;
  total += gzip;
  console.log(`${name.padEnd(28)} ${(bytes.length / 1024).toFixed(1).padStart(8)} kB  ${(gzip / 1024).toFixed(1).padStart(7)} kB gzipped`);
}
console.log(`total ${(total / 1024).toFixed(1)} kB gzipped`);
