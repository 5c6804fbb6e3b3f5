// Fixtures for the CLI tests: build the bin once (serialized across test files), spawn it, wait
// for its lines. No sleeps: every wait is on an event, bounded by a timeout.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const cliMain = join(repoRoot, "packages/cli/dist/main.js");
const buildLock = join(tmpdir(), "cosync-tsc-build.lock");

/**
 * Runs `tsc -b <target>` from the repo root under an exclusive lock (flock), so test files that
 * build in parallel never write the same dist files at once.
 */
export function build(target = "packages/cli", timeoutMs = 240_000): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("flock", [buildLock, "npx", "tsc", "-b", target], { cwd: repoRoot, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error === null) resolve();
      else reject(new Error(`tsc -b ${target} failed (other packages may be mid-edit):\n${stdout}${stderr}`, { cause: error }));
    });
  });
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A spawned process with its output collected and its exit as a promise. */
export class Spawned implements AsyncDisposable {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  #stdout = "";
  #stderr = "";
  readonly #group: boolean;

  constructor(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; group?: boolean } = {}) {
    this.#group = options.group ?? false;
    this.child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: this.#group,
    });
    this.child.stdout?.on("data", (chunk: Buffer) => {
      this.#stdout += chunk.toString();
    });
    this.child.stderr?.on("data", (chunk: Buffer) => {
      this.#stderr += chunk.toString();
    });
    // "close", not "exit": by then every byte the process wrote has been read.
    this.exited = new Promise((resolve) => this.child.once("close", (code, signal) => resolve({ code, signal })));
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /**
   * Resolves with the first stdout line starting with `match` (or satisfying it, if a function);
   * rejects if the process exits first or time runs out.
   */
  waitForLine(match: string | ((line: string) => boolean), timeoutMs = 30_000): Promise<string> {
    const matches = typeof match === "string" ? (line: string) => line.startsWith(match) : match;
    const what = typeof match === "string" ? `a line starting with "${match}"` : "line matching what was waited for";
    return new Promise((resolve, reject) => {
      const stdout = this.child.stdout;
      const find = () => this.#stdout.split("\n").find(matches);
      const done = (error?: Error, line?: string) => {
        clearTimeout(timer);
        stdout?.off("data", onData);
        this.child.off("close", onExit);
        if (error !== undefined) reject(error);
        else resolve(line as string);
      };
      const onData = () => {
        const line = find();
        if (line !== undefined) done(undefined, line);
      };
      const onExit = (code: number | null, signal: string | null) =>
        done(new Error(`process exited (code ${code}, signal ${signal}) before printing ${what}\nstdout: ${this.#stdout}\nstderr: ${this.#stderr}`));
      const timer = setTimeout(
        () => done(new Error(`no ${what} within ${timeoutMs} ms\nstdout: ${this.#stdout}\nstderr: ${this.#stderr}`)),
        timeoutMs,
      );
      stdout?.on("data", onData);
      this.child.once("close", onExit);
      onData();
    });
  }

  /** Signals the process (or its whole process group, like a terminal does, when spawned as a group). */
  kill(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      if (this.#group) process.kill(-pid, signal);
      else this.child.kill(signal);
    } catch {
      // Already gone.
    }
  }

  /** Waits for the exit, rejecting after `timeoutMs`. */
  async exit(timeoutMs = 20_000): Promise<Exit> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`process did not exit within ${timeoutMs} ms\nstdout: ${this.#stdout}\nstderr: ${this.#stderr}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGKILL");
    await this.exited;
  }
}

/** `node packages/cli/dist/main.js <args>`. */
export function spawnCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Spawned {
  return new Spawned(process.execPath, [cliMain, ...args], options);
}

/** A JSON log line as an object, or undefined if the line is not one. */
export function jsonRecord(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const record: unknown = JSON.parse(line);
    return record !== null && typeof record === "object" ? (record as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The ws:// URL the server announces once listening: the `url` of the JSON record "listening on …"
 * (JSON logs, the default off a terminal), or the end of the pretty line `… INFO  listening on ws://…`.
 */
export async function listeningUrl(proc: Spawned, timeoutMs?: number): Promise<string> {
  const urlOf = (line: string): string | undefined => {
    const record = jsonRecord(line);
    if (record !== undefined) return typeof record.msg === "string" && record.msg.startsWith("listening on ") ? String(record.url) : undefined;
    return / INFO {2}listening on (ws:\/\/\S+)$/.exec(line)?.[1];
  };
  const line = await proc.waitForLine((candidate) => urlOf(candidate) !== undefined, timeoutMs);
  return urlOf(line) as string;
}

/** Throws a clear error if `port` on `host` is taken. */
export function assertPortFree(port: number, host = "127.0.0.1"): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === "EADDRINUSE"
            ? `port ${port} on ${host} is busy: this test runs the server on its default port; stop whatever listens there (ss -ltnp | grep ${port}) and rerun`
            : `cannot probe port ${port}: ${error.message}`,
        ),
      );
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
