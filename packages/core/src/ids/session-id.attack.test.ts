import { expect, test } from "vitest";
import { collectGarbage } from "../collect-garbage.test-helpers.js";
import { base58Encode } from "../encoding/base58.js";
import { validateSyncMessage } from "../protocol/validate.js";
import { isAgentId } from "./agent-id.js";
import { isSessionId } from "./session-id.js";

// A hostile peer controls every key of a `known`/`load`/`content` message's `sessions`/`new`, and
// each key goes through isSessionId before anything else looks at the message.

const owner = (seed: number) =>
  `co_z${base58Encode(new Uint8Array(19).fill((seed % 255) + 1).map((b, i) => (i < 4 ? (seed >> (8 * i)) & 0xff : b)))}`;
const agent = `sealer_z${base58Encode(new Uint8Array(32).fill(1))}/signer_z${base58Encode(new Uint8Array(32).fill(2))}`;

function elapsedMs(run: () => void): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

test("a session id with a huge random part is refused without decoding it (base58 decoding is quadratic)", () => {
  // 120k valid digits: ~2 s of blocked event loop before the fix; the 4 MiB message limit allows
  // ~4M digits, i.e. tens of minutes for one message.
  const digits = "z".repeat(120_000);
  for (const id of [`${owner(1)}_session_z${digits}`, `${agent}_session_z${digits}`, `${owner(2)}_session_d${digits}$`]) {
    let valid = true;
    expect(elapsedMs(() => (valid = isSessionId(id)))).toBeLessThan(150);
    expect(valid).toBe(false);
  }
});

test("the server's validation of a `known` message naming such a session is fast", () => {
  const raw = JSON.parse(
    JSON.stringify({ action: "known", id: owner(3), header: false, sessions: { [`${owner(3)}_session_z${"z".repeat(120_000)}`]: 1 } }),
  );
  let ok = true;
  expect(elapsedMs(() => (ok = validateSyncMessage(raw).ok))).toBeLessThan(150);
  expect(ok).toBe(false);
});

// An id found valid is remembered per format (ids/prefixed.ts). The owner checked is a slice of the
// whole key, and V8 slices keep their parent string alive: a key "<new valid owner>_session_z!<1 MB>"
// is refused, yet its 1 MB stays reachable from the remembered-owner set (10,000 entries, not bytes).
test("refused session ids with distinct valid owners do not keep their text alive", async () => {
  const junk = `!${"x".repeat(1_000_000)}`;
  const check = (from: number, count: number) => {
    for (let index = from; index < from + count; index++) {
      const message = JSON.parse(`{"sessions":{"${owner(index)}_session_z${junk}":1}}`) as { sessions: Record<string, number> };
      for (const key of Object.keys(message.sessions)) expect(isSessionId(key)).toBe(false);
    }
  };
  check(1000, 2); // warm up (scratch buffers, caches)
  await collectGarbage();
  const before = process.memoryUsage().heapUsed;
  check(2000, 40);
  await collectGarbage();
  const retainedMb = (process.memoryUsage().heapUsed - before) / 2 ** 20;
  expect(retainedMb).toBeLessThan(10); // ~40 MB before the fix
});

test("refused agent ids with a valid first half do not keep their text alive", async () => {
  const junk = `!${"x".repeat(1_000_000)}`;
  const check = (from: number, count: number) => {
    for (let index = from; index < from + count; index++) {
      const sealer = `sealer_z${base58Encode(new Uint8Array(32).fill(3).map((b, i) => (i < 4 ? (index >> (8 * i)) & 0xff : b)))}`;
      const member = Object.keys(JSON.parse(`{"${sealer}/${junk}":1}`))[0] as string;
      expect(isAgentId(member)).toBe(false);
    }
  };
  check(1000, 2);
  await collectGarbage();
  const before = process.memoryUsage().heapUsed;
  check(2000, 40);
  await collectGarbage();
  expect((process.memoryUsage().heapUsed - before) / 2 ** 20).toBeLessThan(10);
});
