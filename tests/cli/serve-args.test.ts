// `cosync serve`'s argument and environment parsing, without spawning (the spawned bin is serve.test.ts).
import { expect, test } from "vitest";
import { serverOptionsFromArgs, usage, variableOf } from "../../packages/cli/src/serve-args.js";

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
    {},
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
    bans: ["co_zA", "sealer_zX/signer_zY"],
  });
  expect(serverOptionsFromArgs(["serve"], { COSYNC_BAN: "co_zB, co_zC" })).toMatchObject({ limits: { bans: ["co_zB", "co_zC"] } });
});

// Every flag that takes a value, with a valid value, the option it sets, and what that becomes.
const samples: Array<[string, string, (options: Record<string, unknown>) => unknown, unknown]> = [
  ["host", "0.0.0.0", (o) => o.host, "0.0.0.0"],
  ["port", "4300", (o) => o.port, 4300],
  ["db", "x.db", (o) => o.db, "x.db"],
  ["log-format", "pretty", (o) => (o.log as { format: string }).format, "pretty"],
  ["log-level", "warn", (o) => (o.log as { level: string }).level, "warn"],
  ["max-connections", "7", (o) => (o.limits as { maxConnections: number }).maxConnections, 7],
  ["max-frame-bytes", "1MiB", (o) => (o.limits as { maxFrameBytes: number }).maxFrameBytes, 1024 * 1024],
  ["max-message-bytes", "1KiB", (o) => (o.limits as { maxMessageBytes: number }).maxMessageBytes, 1024],
  ["conn-messages-per-second", "5", (o) => (o.limits as { connection: unknown }).connection, { messages: { perSecond: 5, burst: 10 } }],
  ["conn-bytes-per-second", "1kB", (o) => (o.limits as { connection: unknown }).connection, { bytes: { perSecond: 1000, burst: 2000 } }],
  ["account-messages-per-second", "5", (o) => (o.limits as { account: unknown }).account, { messages: { perSecond: 5, burst: 10 } }],
  ["account-bytes-per-second", "1kB", (o) => (o.limits as { account: unknown }).account, { bytes: { perSecond: 1000, burst: 2000 } }],
  ["quota-bytes", "1MB", (o) => (o.limits as { storageQuotaBytes: number }).storageQuotaBytes, 1_000_000],
  ["ban", "co_zA", (o) => (o.limits as { bans: string[] }).bans, ["co_zA"]],
  ["connection-quota-bytes", "1MB", (o) => (o.limits as { connectionQuotaBytes: number }).connectionQuotaBytes, 1_000_000],
  ["max-header-bytes", "8KiB", (o) => (o.limits as { maxHeaderBytes: number }).maxHeaderBytes, 8 * 1024],
  ["max-parked-bytes", "2MiB", (o) => (o.limits as { maxParkedBytes: number }).maxParkedBytes, 2 * 1024 * 1024],
];

test("serve args: every flag has its COSYNC_* variable, listed in --help, and the flag wins over it", () => {
  for (const [name, value, read, expected] of samples) {
    const variable = variableOf(name as never);
    expect(usage, name).toContain(`--${name} `);
    expect(usage, name).toContain(variable);
    const fromEnv = serverOptionsFromArgs(["serve"], { [variable]: value });
    expect(read(fromEnv as Record<string, unknown>), variable).toEqual(expected);
    // The variable holds something invalid: the flag must win without the variable being read.
    const fromFlag = serverOptionsFromArgs(["serve", `--${name}=${value}`], { [variable]: "not valid (%)" });
    expect(read(fromFlag as Record<string, unknown>), `--${name}`).toEqual(expected);
  }
  expect(usage).toContain("--in-memory");
  expect(usage).toContain("COSYNC_IN_MEMORY");
});

test("serve args: --db and --in-memory against each other's variables: the flag wins, the same level conflicts", () => {
  expect(serverOptionsFromArgs(["serve", "--db", "x.db"], { COSYNC_IN_MEMORY: "1" })).toMatchObject({ db: "x.db" });
  expect(serverOptionsFromArgs(["serve", "--db", "x.db"], { COSYNC_IN_MEMORY: "1" })).not.toHaveProperty("inMemory");
  expect(serverOptionsFromArgs(["serve", "--in-memory"], { COSYNC_DB: "x.db" })).not.toHaveProperty("db");
  expect(serverOptionsFromArgs(["serve"], { COSYNC_IN_MEMORY: "0", COSYNC_DB: "x.db" })).toMatchObject({ db: "x.db" });
  expect(() => serverOptionsFromArgs(["serve"], { COSYNC_IN_MEMORY: "1", COSYNC_DB: "x.db" })).toThrow("COSYNC_DB and COSYNC_IN_MEMORY: choose one");
});

test('serve args: "unlimited" lifts the per-connection quota that otherwise follows --quota-bytes', () => {
  const unlimited = serverOptionsFromArgs(["serve", "--quota-bytes=1MB", "--connection-quota-bytes=unlimited"], {});
  expect((unlimited as { limits: object }).limits).toEqual({ storageQuotaBytes: 1_000_000, connectionQuotaBytes: Number.MAX_SAFE_INTEGER });
  expect(() => serverOptionsFromArgs(["serve", "--max-parked-bytes=unlimited"], {})).toThrow(/--max-parked-bytes/);
});

test('serve args: "unlimited" clears a rate or quota set by a variable; 0 is refused', () => {
  const options = serverOptionsFromArgs(["serve", "--quota-bytes=unlimited", "--conn-messages-per-second", "unlimited"], {
    COSYNC_QUOTA_BYTES: "1GiB",
    COSYNC_CONN_MESSAGES_PER_SECOND: "10",
  });
  expect(options).toMatchObject({ limits: {} });
  expect((options as { limits: object }).limits).toEqual({});
  expect(() => serverOptionsFromArgs(["serve", "--quota-bytes", "0"], {})).toThrow('--quota-bytes: expected at least 1 byte or "unlimited", got "0"');
  expect(() => serverOptionsFromArgs(["serve", "--max-frame-bytes", "unlimited"], {})).toThrow("--max-frame-bytes: expected a size in bytes");
});

test("serve args: every bad value names its flag or variable", () => {
  const bad: Array<[string[], Record<string, string>, string]> = [
    [["serve", "--max-connections", "0"], {}, "--max-connections: expected an integer from 1"],
    [["serve"], { COSYNC_MAX_MESSAGE_BYTES: "2XB" }, 'COSYNC_MAX_MESSAGE_BYTES: expected a size in bytes like 1048576, 512KiB or 8MiB, got "2XB"'],
    [["serve", "--conn-messages-per-second=-5"], {}, '--conn-messages-per-second: expected a positive number or "unlimited", got "-5"'],
    [["serve", "--log-level", "loud"], {}, '--log-level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"'],
    [["serve", "--ban", "mallory"], {}, '--ban: expected an account id (co_z…) or an agent id (sealer_z…/signer_z…), got "mallory"'],
    [["serve", "--ban", "co_z"], {}, '--ban: expected an account id (co_z…) or an agent id (sealer_z…/signer_z…), got "co_z"'],
    [["serve", "--ban", ""], {}, '--ban: expected an account id (co_z…) or an agent id (sealer_z…/signer_z…), got ""'],
    [["serve"], { COSYNC_BAN: "co_zA,,co_zB" }, 'COSYNC_BAN: expected an account id (co_z…) or an agent id (sealer_z…/signer_z…), got ""'],
    [["serve"], { COSYNC_BANS: "co_zA" }, "COSYNC_BANS: unknown environment variable (it is COSYNC_BAN now)"],
    [["serve"], { COSYNC_MAX_CONECTIONS: "5" }, "COSYNC_MAX_CONECTIONS: unknown environment variable"],
    [["serve", "--max-frame-bytes", "1KiB", "--max-message-bytes", "2KiB"], {}, "--max-message-bytes (2048) cannot exceed the frame size (1024, --max-frame-bytes)"],
    [["serve", "--max-message-bytes", "16MiB"], {}, "--max-message-bytes (16777216) cannot exceed the frame size (8388608, --max-frame-bytes)"],
    [["serve", "--db", ""], {}, "--db: expected a SQLite file path or a postgres:// URL, got an empty string"],
    [["serve", "--host="], {}, "--host: expected a value, got an empty string"],
    [["serve", "--port", "1", "--port", "2"], {}, "--port: given more than once"],
    [["serve", "--max-connections=-3"], {}, '--max-connections: expected an integer from 1 to 9007199254740991, got "-3"'],
    [["serve", "--max-connections", "-3"], {}, "Option '--max-connections' argument is ambiguous"],
    [["serve", "--max-connections", "1e3"], {}, '--max-connections: expected an integer from 1 to 9007199254740991, got "1e3"'],
    [["serve", "--account-messages-per-second", "Infinity"], {}, '--account-messages-per-second: expected a positive number or "unlimited", got "Infinity"'],
    [["serve", "--conn-bytes-per-second", "NaN"], {}, '--conn-bytes-per-second: expected a size in bytes like 1048576, 512KiB or 8MiB or "unlimited", got "NaN"'],
    [["serve", "--burst-seconds", "0"], {}, '--burst-seconds: expected a positive number, got "0"'],
    [["serve", "--quota-bytes", "99999999GiB"], {}, '--quota-bytes: expected at most 9007199254740991 bytes, got "99999999GiB"'],
    [["serve", "extra"], {}, 'unexpected argument "extra"'],
    [[], {}, "missing command: cosync serve"],
  ];
  for (const [args, env, message] of bad) expect(() => serverOptionsFromArgs(args, env), args.join(" ")).toThrow(message);
});

test("serve args: --help and -h", () => {
  expect(serverOptionsFromArgs(["serve", "--help"], {})).toBe("help");
  expect(serverOptionsFromArgs(["-h"], {})).toBe("help");
});
