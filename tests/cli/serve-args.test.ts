// `cosync serve`'s argument and environment parsing, without spawning (the spawned bin is serve.test.ts).
import { expect, test } from "vitest";
import { serverOptionsFromArgs, usage, variableOf } from "../../packages/cli/src/serve-args.js";

test("serve args: defaults leave everything to the server", () => {
  expect(serverOptionsFromArgs([], {})).toEqual({ log: { format: "json", level: "info" }, limits: {} });
});

test("serve args: flags win over COSYNC_* variables", () => {
  const options = serverOptionsFromArgs(["--port", "0", "--host", "0.0.0.0"], { COSYNC_PORT: "5000", COSYNC_HOST: "::1", COSYNC_DB: "/data/s.db" });
  expect(options).toMatchObject({ port: 0, host: "0.0.0.0", db: "/data/s.db" });
});

test("serve args: postgres URLs, --in-memory and COSYNC_IN_MEMORY", () => {
  expect(serverOptionsFromArgs(["--db", "postgres://u@h/db"], {})).toMatchObject({ db: "postgres://u@h/db" });
  expect(serverOptionsFromArgs(["--in-memory"], { COSYNC_DB: "x.db" })).toMatchObject({ inMemory: true });
  expect(serverOptionsFromArgs([], { COSYNC_IN_MEMORY: "1" })).toMatchObject({ inMemory: true });
  expect(() => serverOptionsFromArgs([], { COSYNC_IN_MEMORY: "maybe" })).toThrow('COSYNC_IN_MEMORY: expected 1/true or 0/false, got "maybe"');
});

test("serve args: limits, sizes with units, rates with bursts, bans", () => {
  const options = serverOptionsFromArgs(
    [
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
  expect(serverOptionsFromArgs([], { COSYNC_BAN: "co_zB, co_zC" })).toMatchObject({ limits: { bans: ["co_zB", "co_zC"] } });
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
    const fromEnv = serverOptionsFromArgs([], { [variable]: value });
    expect(read(fromEnv as Record<string, unknown>), variable).toEqual(expected);
    // The variable holds something invalid: the flag must win without the variable being read.
    const fromFlag = serverOptionsFromArgs([`--${name}=${value}`], { [variable]: "not valid (%)" });
    expect(read(fromFlag as Record<string, unknown>), `--${name}`).toEqual(expected);
  }
  expect(usage).toContain("--in-memory");
  expect(usage).toContain("COSYNC_IN_MEMORY");
});

test("serve args: --db and --in-memory against each other's variables: the flag wins, the same level conflicts", () => {
  expect(serverOptionsFromArgs(["--db", "x.db"], { COSYNC_IN_MEMORY: "1" })).toMatchObject({ db: "x.db" });
  expect(serverOptionsFromArgs(["--db", "x.db"], { COSYNC_IN_MEMORY: "1" })).not.toHaveProperty("inMemory");
  expect(serverOptionsFromArgs(["--in-memory"], { COSYNC_DB: "x.db" })).not.toHaveProperty("db");
  expect(serverOptionsFromArgs([], { COSYNC_IN_MEMORY: "0", COSYNC_DB: "x.db" })).toMatchObject({ db: "x.db" });
  expect(() => serverOptionsFromArgs([], { COSYNC_IN_MEMORY: "1", COSYNC_DB: "x.db" })).toThrow("COSYNC_DB and COSYNC_IN_MEMORY: choose one");
});

test('serve args: "unlimited" lifts the per-connection quota that otherwise follows --quota-bytes', () => {
  const unlimited = serverOptionsFromArgs(["--quota-bytes=1MB", "--connection-quota-bytes=unlimited"], {});
  expect((unlimited as { limits: object }).limits).toEqual({ storageQuotaBytes: 1_000_000, connectionQuotaBytes: Number.MAX_SAFE_INTEGER });
  expect(() => serverOptionsFromArgs(["--max-parked-bytes=unlimited"], {})).toThrow(/--max-parked-bytes/);
});

test('serve args: "unlimited" clears a rate or quota set by a variable; 0 is refused', () => {
  const options = serverOptionsFromArgs(["--quota-bytes=unlimited", "--conn-messages-per-second", "unlimited"], {
    COSYNC_QUOTA_BYTES: "1GiB",
    COSYNC_CONN_MESSAGES_PER_SECOND: "10",
  });
  expect(options).toMatchObject({ limits: {} });
  expect((options as { limits: object }).limits).toEqual({});
  expect(() => serverOptionsFromArgs(["--quota-bytes", "0"], {})).toThrow('--quota-bytes: expected at least 1 byte or "unlimited", got "0"');
  expect(() => serverOptionsFromArgs(["--max-frame-bytes", "unlimited"], {})).toThrow("--max-frame-bytes: expected a size in bytes");
});

test("serve args: every bad value names its flag or variable", () => {
  const bad: Array<[string[], Record<string, string>, string]> = [
    [["--max-connections", "0"], {}, "--max-connections: expected an integer from 1"],
    [[], { COSYNC_MAX_MESSAGE_BYTES: "2XB" }, 'COSYNC_MAX_MESSAGE_BYTES: expected a size in bytes like 1048576, 512KiB or 8MiB, got "2XB"'],
    [["--conn-messages-per-second=-5"], {}, '--conn-messages-per-second: expected a positive number or "unlimited", got "-5"'],
    [["--log-level", "loud"], {}, '--log-level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"'],
    [["--ban", "mallory"], {}, '--ban: expected an account id (co_z…) or an agent id (sealer_z…/signer_z…), got "mallory"'],
    [["--ban", "co_z"], {}, '--ban: expected an account id (co_z…) or an agent id (sealer_z…/signer_z…), got "co_z"'],
    [["--ban", ""], {}, '--ban: expected an account id (co_z…) or an agent id (sealer_z…/signer_z…), got ""'],
    [[], { COSYNC_BAN: "co_zA,,co_zB" }, 'COSYNC_BAN: expected an account id (co_z…) or an agent id (sealer_z…/signer_z…), got ""'],
    [[], { COSYNC_BANS: "co_zA" }, "COSYNC_BANS: unknown environment variable (it is COSYNC_BAN now)"],
    [[], { COSYNC_MAX_CONECTIONS: "5" }, "COSYNC_MAX_CONECTIONS: unknown environment variable (did you mean COSYNC_MAX_CONNECTIONS?)"],
    [[], { COSYNC_PORTT: "5" }, "COSYNC_PORTT: unknown environment variable (did you mean COSYNC_PORT?)"],
    [["--max-frame-bytes", "1KiB", "--max-message-bytes", "2KiB"], {}, "--max-message-bytes (2048) cannot exceed the frame size (1024, --max-frame-bytes)"],
    [["--max-message-bytes", "16MiB"], {}, "--max-message-bytes (16777216) cannot exceed the frame size (8388608, --max-frame-bytes)"],
    [["--db", ""], {}, "--db: expected a SQLite file path or a postgres:// URL, got an empty string"],
    [["--host="], {}, "--host: expected a value, got an empty string"],
    [["--port", "1", "--port", "2"], {}, "--port: given more than once"],
    [["--max-connections=-3"], {}, '--max-connections: expected an integer from 1 to 9007199254740991, got "-3"'],
    [["--max-connections", "-3"], {}, '--max-connections: expected an integer from 1 to 9007199254740991, got "-3"'],
    [["--max-connections", "1e3"], {}, '--max-connections: expected an integer from 1 to 9007199254740991, got "1e3"'],
    [["--account-messages-per-second", "Infinity"], {}, '--account-messages-per-second: expected a positive number or "unlimited", got "Infinity"'],
    [["--conn-bytes-per-second", "NaN"], {}, '--conn-bytes-per-second: expected a size in bytes like 1048576, 512KiB or 8MiB or "unlimited", got "NaN"'],
    [["--burst-seconds", "0"], {}, '--burst-seconds: expected a positive number, got "0"'],
    [["--quota-bytes", "99999999GiB"], {}, '--quota-bytes: expected at most 9007199254740991 bytes, got "99999999GiB"'],
    [["extra"], {}, 'unexpected argument "extra"'],
  ];
  for (const [args, env, message] of bad) expect(() => serverOptionsFromArgs(args, env), args.join(" ")).toThrow(message);
});

test("serve args: --help and -h", () => {
  expect(serverOptionsFromArgs(["--help"], {})).toBe("help");
  expect(serverOptionsFromArgs(["-h"], {})).toBe("help");
});

test("serve args: a misspelt flag is named, with the closest known one", () => {
  const cases: Array<[string[], string | RegExp]> = [
    [["--prot", "5"], "unknown option --prot (did you mean --port?)"],
    [["--port=5", "--hots", "::1"], "unknown option --hots (did you mean --host?)"],
    [["--max-conections", "5"], "unknown option --max-conections (did you mean --max-connections?)"],
    [["--log-levle=debug"], "unknown option --log-levle (did you mean --log-level?)"],
    [["--inmemory"], "unknown option --inmemory (did you mean --in-memory?)"],
    // The caller adds where the options are listed; the message must not say it a second time.
    [["--xyzzy"], /^unknown option --xyzzy$/],
    [["-p", "5"], /^unknown option -p \(did you mean --port\?\)$/],
    [["-x", "5"], /^unknown option -x$/],
  ];
  for (const [args, message] of cases) expect(() => serverOptionsFromArgs(args, {}), args.join(" ")).toThrow(message);
  // No quote left open, no Node-internal wording.
  expect(() => serverOptionsFromArgs(["--prot"], {})).not.toThrow(/'|parseArgs|strict/);
});

test("serve args: a flag without its value says so, even when the next argument is another flag", () => {
  expect(() => serverOptionsFromArgs(["--port"], {})).toThrow(/^--port needs a value$/);
  expect(() => serverOptionsFromArgs(["--db", "--in-memory"], {})).toThrow(/^--db needs a value$/);
  expect(() => serverOptionsFromArgs(["--log-level", "--port", "5"], {})).toThrow(/^--log-level needs a value$/);
  expect(() => serverOptionsFromArgs(["--in-memory=yes"], {})).toThrow(/^--in-memory takes no value \(got "yes"\)$/);
});

// Every flag taking a number or a size, with a value below its range and one that is no number.
const numericFlags = [
  ["port", "an integer from 0 to 65535"],
  ["max-connections", "an integer from 1 to 9007199254740991"],
  ["max-frame-bytes", "a size in bytes"],
  ["max-message-bytes", "a size in bytes"],
  ["max-header-bytes", "a size in bytes"],
  ["conn-messages-per-second", "a positive number"],
  ["conn-bytes-per-second", "a size in bytes"],
  ["account-messages-per-second", "a positive number"],
  ["account-bytes-per-second", "a size in bytes"],
  ["burst-seconds", "a positive number"],
  ["quota-bytes", "a size in bytes"],
  ["connection-quota-bytes", "a size in bytes"],
  ["max-parked-bytes", "a size in bytes"],
] as const;

test("serve args: every numeric flag refuses negative, fractional where it needs an integer, and non-numeric values, naming itself", () => {
  for (const [name, expected] of numericFlags) {
    for (const value of ["-5", "abc", "1e400", " "]) {
      const message = value.trim() === "" ? `--${name}: expected a value, got an empty string` : `--${name}: expected ${expected}`;
      expect(() => serverOptionsFromArgs([`--${name}`, value], {}), `--${name} ${value}`).toThrow(message);
    }
  }
  expect(() => serverOptionsFromArgs(["--port", "-5"], {})).toThrow('--port: expected an integer from 0 to 65535, got "-5"');
  expect(() => serverOptionsFromArgs(["--port", "80.5"], {})).toThrow('--port: expected an integer from 0 to 65535, got "80.5"');
  expect(() => serverOptionsFromArgs(["--port", "65536"], {})).toThrow('--port: expected an integer from 0 to 65535, got "65536"');
  expect(() => serverOptionsFromArgs(["--max-connections", "2.5"], {})).toThrow('--max-connections: expected an integer from 1 to 9007199254740991, got "2.5"');
  // Too large for a number at all: refused, not turned into Infinity.
  expect(() => serverOptionsFromArgs(["--burst-seconds", "9".repeat(400)], {})).toThrow("--burst-seconds: expected a positive number");
});

test("serve args: the log format follows the terminal unless chosen: pretty on a TTY, JSON otherwise", () => {
  expect(serverOptionsFromArgs([], {}, { stdoutIsTty: true })).toMatchObject({ log: { format: "pretty" } });
  expect(serverOptionsFromArgs([], {}, { stdoutIsTty: false })).toMatchObject({ log: { format: "json" } });
  expect(serverOptionsFromArgs(["--log-format", "json"], {}, { stdoutIsTty: true })).toMatchObject({ log: { format: "json" } });
  expect(serverOptionsFromArgs([], { COSYNC_LOG_FORMAT: "pretty" }, { stdoutIsTty: false })).toMatchObject({ log: { format: "pretty" } });
});

test("serve args: COSYNC_URL, the clients' variable for the server's address, does not stop a server from starting", () => {
  expect(serverOptionsFromArgs([], { COSYNC_URL: "ws://127.0.0.1:4200" })).toEqual({ log: { format: "json", level: "info" }, limits: {} });
});
