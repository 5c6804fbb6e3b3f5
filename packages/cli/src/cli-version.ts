import { readFileSync } from "node:fs";

/**
 * The version of @cosync/cli, read from its package.json at run time: the file sits one level
 * above both src/ and dist/, in a checkout and in an installed tarball alike, so `cosync --version`
 * and the package's bin launcher always agree with what was published.
 */
export function cliVersion(): string {
  const packageJson = new URL("../package.json", import.meta.url);
  const { version } = JSON.parse(readFileSync(packageJson, "utf8")) as { version?: unknown };
  if (typeof version !== "string") throw new Error(`${packageJson.pathname}: expected a "version" string`);
  return version;
}
