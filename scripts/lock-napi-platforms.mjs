#!/usr/bin/env node
// Puts back the package-lock.json entries of cojson-core-napi's platform builds that the npm
// registry our machines reach does not serve (macOS and ARM Linux). `npm install` here drops them,
// and `npm ci` then refuses the lockfile ("Missing: cojson-core-napi-darwin-arm64@ from lock
// file"). Each entry carries its os/cpu/libc, so npm skips it on every other platform, and a Mac
// or ARM machine reaching a registry that has it installs the real build.
// Run after any `npm install` that changes cojson's version: `node scripts/lock-napi-platforms.mjs`.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const lockFile = fileURLToPath(new URL("../package-lock.json", import.meta.url));
const parent = "node_modules/cojson-core-napi";

/** napi-rs names each build after its target; these are the fields its package.json declares. */
const platformsBySuffix = {
  "darwin-arm64": { os: ["darwin"], cpu: ["arm64"] },
  "darwin-x64": { os: ["darwin"], cpu: ["x64"] },
  "linux-arm-gnueabihf": { os: ["linux"], cpu: ["arm"], libc: ["glibc"] },
  "linux-arm64-gnu": { os: ["linux"], cpu: ["arm64"], libc: ["glibc"] },
  "linux-arm64-musl": { os: ["linux"], cpu: ["arm64"], libc: ["musl"] },
  "linux-x64-gnu": { os: ["linux"], cpu: ["x64"], libc: ["glibc"] },
  "linux-x64-musl": { os: ["linux"], cpu: ["x64"], libc: ["musl"] },
};

const lock = JSON.parse(readFileSync(lockFile, "utf8"));
const napi = lock.packages?.[parent];
if (napi === undefined) {
  console.log(`${parent} is not in package-lock.json: nothing to do`);
  process.exit(0);
}

const packages = {};
const added = [];
for (const [key, entry] of Object.entries(lock.packages)) {
  packages[key] = entry;
  if (key !== parent) continue;
  for (const [name, version] of Object.entries(napi.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key] !== undefined) continue;
    const platform = platformsBySuffix[name.slice("cojson-core-napi-".length)];
    if (platform === undefined)
      throw new Error(`${name}: unknown platform; add it to platformsBySuffix in ${fileURLToPath(import.meta.url)}`);
    // Fields in the order npm writes them, so a later `npm install` leaves the file as it is.
    const { os, cpu, libc } = platform;
    packages[key] = {
      version,
      cpu,
      dev: napi.dev,
      ...(libc && { libc }),
      license: napi.license,
      optional: true,
      os,
      engines: napi.engines,
    };
    added.push(`${name}@${version}`);
  }
}
lock.packages = packages;
writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length === 0 ? "package-lock.json already lists every cojson-core-napi platform build" : `added ${added.join(", ")}`);
