// An app's load that waits for a first server keeps a Node process alive until it is answered: a
// script that loads before it connects (or never connects) hears "unavailable", instead of Node
// exiting silently with the promise unsettled (exit code 13, nothing printed).
import { execFile } from "node:child_process";
import { expect, test } from "vitest";
import { build } from "../cli/serve-process.js";

const script = `
import { coIdFromHash, createLocalNode } from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";
const node = createLocalNode({ crypto: await loadNodeCryptoProvider(), sync: { waitForServerMs: 300 } });
const outcome = await node.load(coIdFromHash(new Uint8Array(32).fill(7)));
console.log(JSON.stringify(outcome));
`;

test("a load before any server connects answers unavailable in a script, without holding the process longer", async () => {
  await build("packages/crypto");
  const started = performance.now();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, ["--input-type=module", "-e", script], { timeout: 20_000 }, (error, out, err) => {
      resolve({ code: error === null ? 0 : (child.exitCode ?? null), stdout: out, stderr: err });
    });
  });
  expect(stderr).toBe("");
  expect(code).toBe(0);
  expect(JSON.parse(stdout)).toEqual({ status: "unavailable", reason: "no server connected within 300 ms" });
  // It exits once answered: the timer holds the process only while the load is pending.
  expect(performance.now() - started).toBeLessThan(15_000);
});
