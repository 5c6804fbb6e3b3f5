// `cosync serve --auth …` and `cosync signup-token`: flags parsed with clear refusals, and a real
// server process that refuses tokenless connections and admits a new account with a sign-up token.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CoId, mintAuthToken } from "@cosync/core";
import { afterEach, beforeAll, expect, test } from "vitest";
import { serverOptionsFromArgs } from "../../packages/cli/src/serve-args.js";
import { bridgeNode, RawClient } from "../../packages/server/src/test-fixtures/raw-client.js";
import { namedAccountNode, testCrypto } from "../helpers/nodes.js";
import { build, listeningUrl, spawnCli } from "./serve-process.js";

beforeAll(() => build("packages/cli"), 300_000);

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

test("auth flags become the auth option; policies without --auth, and bad values, are refused by name", () => {
  expect(
    serverOptionsFromArgs(
      ["--auth", "optional", "--signup", "invite", "--anonymous", "none", "--allow-account", "co_zAbc", "--auth-audience", "wss://sync.example.com", "--max-token-hours", "2"],
      {},
    ),
  ).toMatchObject({
    auth: { mode: "optional", signup: "invite", anonymous: "none", allowAccounts: ["co_zAbc"], audience: ["wss://sync.example.com"], maxTokenTtlMs: 7_200_000 },
  });
  expect(serverOptionsFromArgs([], { COSYNC_AUTH: "required", COSYNC_ALLOW_ACCOUNT: "co_zA,co_zB" })).toMatchObject({
    auth: { mode: "required", allowAccounts: ["co_zA", "co_zB"] },
  });
  expect(serverOptionsFromArgs(["--unauth-messages-per-second", "10", "--server-key-file", "/k.json"], {})).toMatchObject({
    serverKeyFile: "/k.json",
    limits: { unauthenticated: { messages: { perSecond: 10, burst: 20 } } },
  });
  expect(() => serverOptionsFromArgs(["--auth", "maybe"], {})).toThrow('--auth: expected required or optional, got "maybe"');
  expect(() => serverOptionsFromArgs(["--signup", "invite"], {})).toThrow("--signup needs --auth required or --auth optional");
  expect(() => serverOptionsFromArgs(["--auth", "required", "--anonymous", "read"], {})).toThrow("--anonymous applies to --auth optional only");
  expect(() => serverOptionsFromArgs(["--auth", "required", "--allow-account", "alice"], {})).toThrow('--allow-account: expected an account id (co_z…), got "alice"');
  expect(() => serverOptionsFromArgs(["--auth", "required", "--auth-audience", "sync.example.com"], {})).toThrow("--auth-audience: expected the server's origin");
});

test("cosync serve --auth required --signup invite: tokenless refused with the reason; a sign-up token from cosync signup-token admits a new account", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cosync-cli-auth-"));
  dirs.push(dir);
  const db = join(dir, "data", "sync.db");
  await using server = spawnCli(["serve", "--port", "0", "--db", db, "--auth", "required", "--signup", "invite"]);
  const url = await listeningUrl(server);
  const refused = await RawClient.connect(url).then(
    () => undefined,
    (error: { statusCode?: number; body?: string }) => error,
  );
  expect(refused).toMatchObject({ statusCode: 401, body: expect.stringContaining("authentication required") });

  const issue = spawnCli(["signup-token", "--server-key-file", join(dir, "data", "server-key.json"), "--hours", "1"]);
  expect((await issue.exited).code).toBe(0);
  const signup = issue.stdout.trim();
  expect(signup).toMatch(/^cosync-signup\./);

  const alice = await namedAccountNode("Alice");
  const token = mintAuthToken(await testCrypto(), { accountId: alice.accountId as CoId, agentSecret: alice.agentSecret, audience: url });
  await using _ = await bridgeNode(alice, `${url}/?auth=${token}&signup=${signup}`);
  const map = alice.createGroup().createMap({ joined: "by invitation" });
  await map.waitForSync({ timeoutMs: 10_000 });

  const missing = spawnCli(["signup-token", "--server-key-file", join(dir, "nowhere.json")]);
  expect((await missing.exited).code).toBe(1);
  expect(missing.stderr).toMatch(/no server key at .*nowhere\.json: start the server once/);
});
