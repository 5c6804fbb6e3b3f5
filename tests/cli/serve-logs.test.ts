// `cosync serve`'s standard output: one format per run (JSON records, or readable lines), with the
// "listening" announcement among them, and what --log-level debug and trace add.
import { beforeAll, expect, test } from "vitest";
import { bridgeNode } from "../../packages/server/src/test-fixtures/raw-client.js";
import { createTestNode, plainHeader, testCrypto } from "../helpers/nodes.js";
import { build, jsonRecord, listeningUrl, spawnCli } from "./serve-process.js";

beforeAll(() => build("packages/cli"), 300_000);

function stdoutLines(stdout: string): string[] {
  return stdout.split("\n").filter((line) => line !== "");
}

test("cli logs: JSON by default off a terminal: every stdout line is a record, the listening one included, with its url", async () => {
  await using proc = spawnCli(["serve", "--port", "0", "--in-memory"]);
  const url = await listeningUrl(proc);
  proc.kill("SIGTERM");
  expect(await proc.exit()).toEqual({ code: 0, signal: null });
  const records = stdoutLines(proc.stdout).map((line) => jsonRecord(line) ?? line);
  for (const record of records) expect(record, "a stdout line that is not a JSON record").toBeTypeOf("object");
  expect(records).toContainEqual(expect.objectContaining({ level: 30, name: "cosync", url, msg: `listening on ${url}` }));
  expect(records.at(-1)).toMatchObject({ msg: "sync server stopped" });
});

test("cli logs: the listening record is printed at --log-level warn too (the only way to learn a port 0's port)", async () => {
  await using proc = spawnCli(["serve", "--port", "0", "--in-memory", "--log-level", "warn"]);
  const url = await listeningUrl(proc);
  proc.kill("SIGTERM");
  expect(await proc.exit()).toEqual({ code: 0, signal: null });
  expect(stdoutLines(proc.stdout).map((line) => jsonRecord(line))).toEqual([expect.objectContaining({ url, msg: `listening on ${url}` })]);
});

test("cli logs: pretty lines when asked: time, level, message, fields; the listening line says its url once", async () => {
  await using proc = spawnCli(["serve", "--port", "0", "--in-memory", "--log-format", "pretty"]);
  const url = await listeningUrl(proc);
  proc.kill("SIGTERM");
  expect(await proc.exit()).toEqual({ code: 0, signal: null });
  const lines = stdoutLines(proc.stdout);
  for (const line of lines) expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) \S/);
  expect(lines).toContainEqual(expect.stringMatching(new RegExp(` INFO  listening on ${url.replaceAll(".", "\\.")}$`)));
});

test("cli logs: debug adds each connection's open and close with its peer id and message and byte counts", async () => {
  await using proc = spawnCli(["serve", "--port", "0", "--in-memory", "--log-level", "debug"]);
  const url = await listeningUrl(proc);
  const alice = await createTestNode();
  const bridged = await bridgeNode(alice, url);
  const value = alice.createCoValue(plainHeader(await testCrypto()));
  value.writeTrusting(["hello"]);
  await value.waitForSync();
  await bridged.close();
  await proc.waitForLine((line) => jsonRecord(line)?.msg === "connection closed");
  proc.kill("SIGTERM");
  expect(await proc.exit()).toEqual({ code: 0, signal: null });
  const records = stdoutLines(proc.stdout).map((line) => jsonRecord(line) ?? {});
  const opened = records.find((record) => record.msg === "connection opened");
  expect(opened).toMatchObject({ level: 20, peer: expect.stringMatching(/^127\.0\.0\.1@.*#1$/), connections: 1 });
  const closed = records.find((record) => record.msg === "connection closed");
  expect(closed).toMatchObject({ level: 20, peer: opened?.peer, code: expect.any(Number), connections: 0 });
  expect(closed?.messagesIn).toBeGreaterThanOrEqual(1);
  expect(closed?.messagesOut).toBeGreaterThanOrEqual(1);
  expect(closed?.bytesIn).toBeGreaterThan(10);
  expect(closed?.bytesOut).toBeGreaterThan(10);
  expect(closed?.durationMs).toBeGreaterThanOrEqual(0);
  // Nothing per message at debug.
  expect(records.some((record) => record.msg === "sync message")).toBe(false);
});

test("cli logs: trace adds every sync message per peer and value (direction, action, id, session counts, size), never its content", async () => {
  await using proc = spawnCli(["serve", "--port", "0", "--in-memory", "--log-level", "trace"]);
  const url = await listeningUrl(proc);
  const alice = await createTestNode();
  const bridged = await bridgeNode(alice, url);
  const value = alice.createCoValue(plainHeader(await testCrypto()));
  const secret = "private-words-never-logged";
  value.writeTrusting([{ op: "set", key: "diary", value: secret }]);
  await value.waitForSync();
  await bridged.close();
  await proc.waitForLine((line) => jsonRecord(line)?.msg === "connection closed");
  proc.kill("SIGTERM");
  expect(await proc.exit()).toEqual({ code: 0, signal: null });
  const records = stdoutLines(proc.stdout).map((line) => jsonRecord(line) ?? {});
  const traffic = records.filter((record) => record.msg === "sync message" && record.id === value.id);
  const session = alice.sessionFor(value.id) as string;
  expect(traffic).toContainEqual(
    expect.objectContaining({ level: 10, direction: "in", action: "content", peer: expect.any(String), header: true, sessions: { [session]: 1 }, bytes: expect.any(Number) }),
  );
  expect(traffic).toContainEqual(expect.objectContaining({ direction: "out", action: "known", sessions: { [session]: 1 } }));
  expect(proc.stdout).not.toContain(secret);
});
