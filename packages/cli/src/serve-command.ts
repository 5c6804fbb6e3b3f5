// `cosync serve`: the server until SIGINT or SIGTERM, its logs on standard output, its start-up
// failures on standard error.
import { createServerLogger, startSyncServer, serverDefaults, type SyncServer, type SyncServerOptions } from "@cosync/server";
import { describeError } from "./describe-error.js";
import type { Command } from "./cli-commands.js";
import { serverOptionsFromArgs, usage } from "./serve-args.js";
import { UsageError } from "./usage-error.js";

export const serveCommand: Command = {
  summary: "runs the sync server",
  run: runServe,
};

async function runServe(args: readonly string[]): Promise<number> {
  let options: SyncServerOptions | "help";
  try {
    options = serverOptionsFromArgs(args, process.env, { stdoutIsTty: process.stdout.isTTY === true });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`cosync: ${error.message}\nRun "cosync serve --help" for the options.\n`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const log = options.log ?? {};
  let server: SyncServer;
  try {
    server = await startSyncServer(options);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const detail =
      code === "EADDRINUSE"
        ? `port ${options.port ?? serverDefaults.port} on ${options.host ?? serverDefaults.host} is already in use`
        : describeError(error);
    process.stderr.write(`cosync: cannot start the server: ${detail}\n`);
    return 1;
  }
  const stopped = untilSignalled(server);
  // The line scripts wait for, in the logs' own format; shown at every level but "silent", since
  // with --port 0 it is the only way to learn the port. Printed once signals are handled, so a
  // SIGTERM sent as soon as it is read stops the server gracefully.
  if (log.level !== "silent") createServerLogger({ ...log, level: "info" }).info({ url: server.url }, `listening on ${server.url}`);
  return stopped;
}

/** Closes the server on the first SIGINT or SIGTERM (exit 0, or 1 if that fails); a second one exits at once with 1. */
function untilSignalled(server: SyncServer): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`cosync: ${signal} again, exiting without finishing the shutdown\n`);
        resolve(1);
        return;
      }
      stopping = true;
      server.close().then(
        () => resolve(0),
        (error: unknown) => {
          process.stderr.write(`cosync: shutdown failed: ${describeError(error)}\n`);
          resolve(1);
        },
      );
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    stopWhenNpmIsGone(() => {
      process.stderr.write("cosync: npm, which started this server, has exited (it does not pass SIGTERM on): shutting down\n");
      stop("SIGTERM");
    });
  });
}

/**
 * Under `npm start` or `npx`, a SIGTERM stops npm but not this process, which would keep serving
 * (and holding its port) with nobody to stop it: when npm is gone, this process is re-parented,
 * and shuts down as if signalled. Started any other way (a supervisor, nohup), it never does.
 */
function stopWhenNpmIsGone(stop: () => void): void {
  if (process.env.npm_lifecycle_event === undefined) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, 500);
  timer.unref();
}
