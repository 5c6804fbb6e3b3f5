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

test("closing a node answers the loads still waiting for a server at once, and lets the process exit", async () => {
  await build("packages/crypto");
  const closing = `
import { coIdFromHash, createLocalNode } from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";
const node = createLocalNode({ crypto: await loadNodeCryptoProvider(), sync: { waitForServerMs: 60_000 } });
const loading = node.load(coIdFromHash(new Uint8Array(32).fill(9)));
await node.close();
console.log(JSON.stringify(await loading));
`;
  const started = performance.now();
  const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
    execFile(process.execPath, ["--input-type=module", "-e", closing], { timeout: 20_000 }, (error, out) => (error === null ? resolve({ stdout: out }) : reject(error)));
  });
  expect(JSON.parse(stdout)).toEqual({ status: "unavailable", reason: "the node was closed while loading it" });
  expect(performance.now() - started).toBeLessThan(15_000); // not the 60 s wait
});
