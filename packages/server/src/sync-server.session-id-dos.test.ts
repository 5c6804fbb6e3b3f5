// Attack: one `known` message whose sessions key is a valid owner, "_session_z", and 200k base58
// digits. Every message key goes through isSessionId at validation, which decoded the random part
// with no length bound (base58 decoding is quadratic): ~6 s of a blocked event loop for a 200 KB
// message, tens of minutes for one within the default 4 MiB message limit. Fixed by bounding
// session ids' length before decoding (packages/core/src/ids/session-id.ts).
import { base58Encode } from "@cosync/core";
import { expect, test } from "vitest";
import { startSyncServer } from "./start-sync-server.js";
import { RawClient } from "./test-fixtures/raw-client.js";

test("fixed: a session key with 200k base58 digits is refused at once, not after seconds of decoding", async () => {
  await using server = await startSyncServer({ port: 0, inMemory: true, log: { level: "silent" }, processMetrics: false });
  await using attacker = await RawClient.connect(server.url);
  const id = `co_z${base58Encode(new Uint8Array(19).fill(9))}`;
  const started = performance.now();
  attacker.send({ action: "known", id, header: false, sessions: { [`${id}_session_z${"z".repeat(200_000)}`]: 1 } });
  const notice = await attacker.waitFor((entry) => entry.error?.code === "MalformedMessage", "a MalformedMessage notice", 60_000);
  expect(notice.error?.message).toMatch(/invalid session id/);
  expect(performance.now() - started).toBeLessThan(1_000);
});
