// `cosync backup --db <store> --out <file>`: a consistent copy of a store while the server runs.
// SQLite: SQLite's online backup API (better-sqlite3 `.backup()`), which copies pages under WAL
// without stopping writers and restarts if a write lands mid-copy, so the copy is one point in
// time; the copy is then opened and checked. PostgreSQL: `pg_dump` (custom format, one snapshot)
// when it is installed; otherwise the guidance to run it.
import { execFile } from "node:child_process";
import { rename, rm, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { redactPassword } from "./db-setting.js";
import { dbFlag, EXIT_OK, operatorCommand } from "./operator-command.js";
import { OperatorError, pathExists, storeLocation } from "./open-store.js";
import { progressMode, startProgress } from "./progress.js";
import { UsageError } from "./usage-error.js";

const run = promisify(execFile);

export const backupUsage = `Usage: cosync backup --db <store> --out <file> [options]

SQLite: copies the database with SQLite's online backup API while the server keeps running and
writing; the copy is one consistent point in time (a write during the copy restarts it). The copy
is then opened and checked (integrity_check) before it is moved to <file>. Restore by stopping the
server and putting the file in place of the database (or serve it with --db <file>).

PostgreSQL: runs pg_dump --format=custom (one consistent snapshot, the server may keep running).
Restore with: createdb <new> && pg_restore --no-owner --dbname <new> <file>. Without pg_dump on
this machine, prints that guidance and exits 1.

  --db <file|postgres://…>   the store to back up (default: COSYNC_DB)
  --out <file>               where to write the backup (must not exist)
  --json                     print the result as JSON, no progress
  -h, --help                 show this help`;

const flags = { db: { type: "string" }, out: { type: "string" }, json: { type: "boolean" } } as const;

export const backupCommand = operatorCommand({
  name: "backup",
  summary: "copies a store consistently while the server runs",
  usage: backupUsage,
  flags,
  async run({ values, positionals }) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const db = dbFlag(values.db);
    const location = storeLocation(db.text, db.source);
    if (values.out === undefined) throw new UsageError("--out is required: the file to write the backup to");
    const out = resolve(values.out);
    if (await pathExists(out)) throw new OperatorError(`${out} exists; choose a new file (a backup never overwrites)`);
    const json = values.json === true;
    const started = performance.now();
    const result = location.kind === "sqlite" ? await backupSqlite(location.file, out, json) : await backupPostgres(location.url, out);
    const seconds = (performance.now() - started) / 1000;
    if (json) process.stdout.write(`${JSON.stringify({ ...result, file: out, seconds })}\n`);
    else process.stdout.write(`backed up ${result.source} to ${out} (${result.bytes} bytes${result.covalues === undefined ? "" : `, ${result.covalues} values, integrity ok`}) in ${seconds.toFixed(1)} s\n`);
    return EXIT_OK;
  },
});

interface BackupResult {
  readonly source: string;
  readonly bytes: number;
  /** Values in the copy (SQLite, checked by opening it). */
  readonly covalues?: number;
}

async function backupSqlite(file: string, out: string, json: boolean): Promise<BackupResult> {
  if (!(await pathExists(file))) throw new OperatorError(`no SQLite database at ${file}`);
  const partial = `${out}.partial`;
  const source = new Database(file, { fileMustExist: true });
  try {
    source.pragma("busy_timeout = 5000");
    let progress: ReturnType<typeof startProgress> | undefined;
    let copied = 0;
    let total = 0;
    await source.backup(partial, {
      progress({ totalPages, remainingPages }) {
        total = totalPages;
        progress ??= startProgress(progressMode(json), "backup", totalPages, "pages");
        const done = totalPages - remainingPages;
        progress.advance(done - copied);
        copied = done;
        return 1_000;
      },
    });
    // The last step reports no progress: count what it copied.
    progress?.advance(total - copied);
    progress?.stop();
  } catch (error) {
    await rm(partial, { force: true });
    throw new OperatorError(`backup of ${file} failed`, { cause: error });
  } finally {
    source.close();
  }
  const copy = new Database(partial, { readonly: true });
  let covalues: number;
  try {
    const check = copy.pragma("integrity_check", { simple: true });
    if (check !== "ok") throw new OperatorError(`the copy failed SQLite's integrity check: ${String(check)}`);
    covalues = (copy.prepare("SELECT count(*) AS n FROM covalues").get() as { n: number }).n;
  } catch (error) {
    copy.close();
    await rm(partial, { force: true });
    throw error;
  }
  copy.close();
  await rename(partial, out);
  return { source: `SQLite ${file}`, bytes: (await stat(out)).size, covalues };
}

async function backupPostgres(url: string, out: string): Promise<BackupResult> {
  const shown = redactPassword(url);
  const guidance = `run: pg_dump --format=custom --file ${out} '${shown}'  (restore: createdb <new> && pg_restore --no-owner --dbname <new> ${out})`;
  try {
    await run("pg_dump", ["--version"]);
  } catch {
    throw new OperatorError(`pg_dump is not installed here (Debian: apt-get install postgresql-client); on a machine that has it, ${guidance}`);
  }
  const partial = `${out}.partial`;
  try {
    await run("pg_dump", ["--format=custom", "--file", partial, "--dbname", url], { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    await rm(partial, { force: true });
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new OperatorError(`pg_dump failed${stderr ? `: ${stderr}` : ""}; ${guidance}`);
  }
  await rename(partial, out);
  return { source: `PostgreSQL ${shown}`, bytes: (await stat(out)).size };
}
