// `cosync serve`'s argument and environment parsing, without spawning (the spawned bin is serve.test.ts).
import { expect, test } from "vitest";
import { serverOptionsFromArgs } from "../../packages/cli/src/serve-args.js";

test("serve args: defaults leave everything to the server", () => {
  expect(serverOptionsFromArgs(["serve"], {})).toEqual({ log: { format: "json", level: "info" }, limits: {} });
});

test("serve args: flags win over COSYNC_* variables", () => {
  const options = serverOptionsFromArgs(["serve", "--port", "0", "--host", "0.0.0.0"], { COSYNC_PORT: "5000", COSYNC_HOST: "::1", COSYNC_DB: "/data/s.db" });
  expect(options).toMatchObject({ port: 0, host: "0.0.0.0", db: "/data/s.db" });
});

test("serve args: postgres URLs, --in-memory and COSYNC_IN_MEMORY", () => {
  expect(serverOptionsFromArgs(["serve", "--db", "postgres://u@h/db"], {})).toMatchObject({ db: "postgres://u@h/db" });
  expect(serverOptionsFromArgs(["serve", "--in-memory"], { COSYNC_DB: "x.db" })).toMatchObject({ inMemory: true });
  expect(serverOptionsFromArgs(["serve"], { COSYNC_IN_MEMORY: "1" })).toMatchObject({ inMemory: true });
  expect(() => serverOptionsFromArgs(["serve"], { COSYNC_IN_MEMORY: "maybe" })).toThrow('COSYNC_IN_MEMORY: expected 1/true or 0/false, got "maybe"');
});

test("serve args: limits, sizes with units, rates with bursts, bans", () => {
  const options = serverOptionsFromArgs(
    [
      "serve",
      "--max-connections=100",
      "--max-frame-bytes=8MiB",
      "--max-message-bytes=512KiB",
      "--conn-messages-per-second=50",
      "--conn-bytes-per-second=1MB",
      "--account-messages-per-second=200",
      "--burst-seconds=3",
      "--quota-bytes=1GiB",
      "--ban=co_zA",
      "--ban",
      "sealer_zX/signer_zY",
    ],
    { COSYNC_BANS: "co_zB, co_zC" },
  );
  expect(options).not.toBe("help");
  if (options === "help") return;
  expect(options.limits).toEqual({
    maxConnections: 100,
    maxFrameBytes: 8 * 1024 * 1024,
    maxMessageBytes: 512 * 1024,
    connection: { messages: { perSecond: 50, burst: 150 }, bytes: { perSecond: 1_000_000, burst: 3_000_000 } },
    account: { messages: { perSecond: 200, burst: 600 } },
    storageQuotaBytes: 1024 ** 3,
    bans: ["co_zA", "sealer_zX/signer_zY", "co_zB", "co_zC"],
  });
});

test("serve args: every bad value names its flag or variable", () => {
  const bad: Array<[string[], Record<string, string>, string]> = [
    [["serve", "--max-connections", "0"], {}, "--max-connections: expected an integer from 1"],
    [["serve"], { COSYNC_MAX_MESSAGE_BYTES: "2XB" }, 'COSYNC_MAX_MESSAGE_BYTES: expected a size in bytes like 1048576, 512KiB or 8MiB, got "2XB"'],
    [["serve", "--conn-messages-per-second=-5"], {}, '--conn-messages-per-second: expected a positive number, got "-5"'],
    [["serve", "--log-level", "loud"], {}, '--log-level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"'],
    [["serve", "--ban", "mallory"], {}, '--ban: expected an account id (co_z…) or agent id (sealer_z…/signer_z…), got "mallory"'],
    [["serve", "--max-frame-bytes", "1KiB", "--max-message-bytes", "2KiB"], {}, "--max-message-bytes (2048) cannot exceed --max-frame-bytes (1024)"],
    [["serve", "extra"], {}, 'unexpected argument "extra"'],
    [[], {}, "missing command: cosync serve"],
  ];
  for (const [args, env, message] of bad) expect(() => serverOptionsFromArgs(args, env), args.join(" ")).toThrow(message);
});

test("serve args: --help and -h", () => {
  expect(serverOptionsFromArgs(["serve", "--help"], {})).toBe("help");
  expect(serverOptionsFromArgs(["-h"], {})).toBe("help");
});
