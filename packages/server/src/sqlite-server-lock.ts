import { open, readFile, rm } from "node:fs/promises";

/**
 * One server process per SQLite file: a second would hold its own subscriptions, quota counts and
 * in-memory values, disagreeing with the first while both write the file (several processes need
 * PostgreSQL and `--cluster`). Other tools (inspect, backup, export) may still open the file.
 * The lock is `<file>.server-lock`, holding the owner's pid; a lock whose process is gone (a crash,
 * SIGKILL) is taken over. Resolves with its release.
 */
export async function lockSqliteForServer(file: string): Promise<() => Promise<void>> {
  const lock = `${file}.server-lock`;
  if (heldHere.has(lock)) throw new Error(`${file} is already served by another cosync server in this process (pid ${process.pid})`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lock, "wx");
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      heldHere.add(lock);
      return async () => {
        heldHere.delete(lock);
        await rm(lock, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number.parseInt(await readFile(lock, "utf8").catch(() => ""), 10);
    // Our own pid without our own hold: a previous life of this container or machine (pid 1 again).
    if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
      throw new Error(
        `${file} is already served by another cosync process (pid ${owner}); run one server per SQLite file, or several over PostgreSQL with --cluster (remove ${lock} if that process is not a cosync server)`,
      );
    }
    await rm(lock, { force: true }); // its owner is gone: take it over
  }
  throw new Error(`could not take the server lock ${lock}: another process keeps creating it`);
}

/** Locks this process holds (several servers can run in one process, as in tests). */
const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
