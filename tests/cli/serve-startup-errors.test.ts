// `cosync serve` failing to start: every storage mistake a newcomer makes names what is wrong and,
// where it is obvious, what to do. Real PostgreSQL (TEST_PG_URL), real files, the real CLI process.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, expect, test } from "vitest";
import { testPgUrl } from "../../packages/storage-postgres/src/test-fixtures/fresh-database.js";
import { build, spawnCli } from "./serve-process.js";
import { freePort } from "../../packages/server/src/test-fixtures/cluster-kit.js";

beforeAll(() => build("packages/cli"), 300_000);

const skipPg = process.env.SKIP_PG === "1";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "cosync-cli-errors-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Runs `cosync serve` with `args`, expecting it to stop by itself; returns its exit code and stderr. */
async function failedStart(args: readonly string[], cwd?: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  await using proc = spawnCli(["serve", "--port", "0", ...args], cwd === undefined ? {} : { cwd });
  const exit = await proc.exit();
  return { code: exit.code, stderr: proc.stderr, stdout: proc.stdout };
}


function pgUrlWith(change: (url: URL) => void): string {
  const url = new URL(testPgUrl());
  change(url);
  return url.toString();
}

test.skipIf(skipPg)("cli on postgres: a database that does not exist is named, with the command that creates it", async () => {
  const name = `cosync_missing_${randomBytes(4).toString("hex")}`;
  const url = pgUrlWith((u) => {
    u.pathname = `/${name}`;
  });
  const user = new URL(url).username;
  const result = await failedStart(["--db", url]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`database "${name}" does not exist (create it: createdb${user === "" ? "" : ` -U ${user}`} ${name})`);
  expect(result.stderr).not.toContain("schema migration failed");
});

test.skipIf(skipPg)("cli on postgres: nothing listening on the port says it cannot connect, and where", async () => {
  const port = await freePort();
  const url = pgUrlWith((u) => {
    u.hostname = "127.0.0.1";
    u.port = String(port);
  });
  const result = await failedStart(["--db", url]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`cannot connect to PostgreSQL at 127.0.0.1:${port} (is it running?)`);
});

test.skipIf(skipPg)("cli on postgres: an unknown user is named as such", async () => {
  const user = `cosync_nobody_${randomBytes(4).toString("hex")}`;
  const url = pgUrlWith((u) => {
    u.username = user;
    u.password = "";
  });
  const result = await failedStart(["--db", url]);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`role "${user}" does not exist (check the user name in the URL, or create the role: createuser`);
});

test("cli on postgres: a malformed URL says what is wrong with it, before connecting", async () => {
  const badPort = await failedStart(["--db", "postgres://postgres@127.0.0.1:54x2/test"]);
  expect(badPort.code).toBe(1);
  expect(badPort.stderr).toContain('invalid PostgreSQL URL "postgres://postgres@127.0.0.1:54x2/test": port "54x2" is not a number');
  const badPassword = await failedStart(["--db", "postgres://me:pa#ss@db.example/test"]);
  expect(badPassword.code).toBe(1);
  expect(badPassword.stderr).toContain("invalid PostgreSQL URL");
  expect(badPassword.stderr).toContain("percent-encoded");
  // The password is not echoed back to the terminal or a log collector.
  expect(badPassword.stderr).not.toContain("pa#ss");
});

test("cli: a --db that is neither a file path nor a postgres:// URL is a usage error naming the supported forms, and creates nothing", async () => {
  const dir = await tempDir();
  const cases: Array<[string[], Record<string, string>, string]> = [
    [["--db", "mysql://me@db.example/app"], {}, '--db: "mysql://me@db.example/app" is not a database cosync can use: mysql:// is not supported'],
    [[], { COSYNC_DB: "mongodb+srv://me:secret@cluster/app" }, 'COSYNC_DB: "mongodb+srv://me:***@cluster/app" is not a database cosync can use'],
    [["--db", "postgres:db.example/app"], {}, '--db: "postgres:db.example/app" is not a database cosync can use: a PostgreSQL URL starts with postgres://'],
    [["--db", ":memory:"], {}, '--db: ":memory:" would be a file named ":memory:"; for data kept in memory only, use --in-memory'],
  ];
  for (const [args, env, message] of cases) {
    await using proc = spawnCli(["serve", "--port", "0", ...args], { cwd: dir, env });
    const exit = await proc.exit();
    expect({ args, env, code: exit.code, stderr: proc.stderr }).toMatchObject({ code: 2, stderr: expect.stringContaining(message) });
    expect(proc.stderr).toContain("expected a SQLite file path (e.g. ./sync-db/storage.db) or a postgres:// or postgresql:// URL");
    expect(proc.stderr).not.toContain("secret");
  }
  expect(await readdir(dir)).toEqual([]);
});

test("cli on SQLite: a directory, a path through a file, a file that is not a database and a place no file can be created each say what is wrong with which path", async () => {
  const dir = await tempDir();
  await mkdir(join(dir, "data"));
  await writeFile(join(dir, "notes.txt"), "not a database\n");
  const asDirectory = await failedStart(["--db", join(dir, "data")]);
  expect(asDirectory.code).toBe(1);
  expect(asDirectory.stderr).toContain(`SQLite: ${join(dir, "data")} is a directory, not a database file (give a file path inside it, e.g. ${join(dir, "data", "storage.db")})`);
  const throughFile = await failedStart(["--db", join(dir, "notes.txt", "s.db")]);
  expect(throughFile.code).toBe(1);
  expect(throughFile.stderr).toContain(`SQLite: cannot create the directory ${join(dir, "notes.txt")} for ${join(dir, "notes.txt", "s.db")}: ${join(dir, "notes.txt")} is a file`);
  const notDatabase = await failedStart(["--db", join(dir, "notes.txt")]);
  expect(notDatabase.code).toBe(1);
  expect(notDatabase.stderr).toContain(`cannot open SQLite storage at ${join(dir, "notes.txt")}: file is not a database (the file exists but is not a SQLite database`);
  expect(await readFile(join(dir, "notes.txt"), "utf8")).toBe("not a database\n");
  // /proc takes no new files, not even from root (chmod would not stop root, who runs CI).
  const unwritable = await failedStart(["--db", "/proc/cosync-test.db"]);
  expect(unwritable.code).toBe(1);
  expect(unwritable.stderr).toContain("cannot open SQLite storage at /proc/cosync-test.db: unable to open database file (may this user create files in /proc?)");
});
