#!/usr/bin/env node
// `cosync serve`: argv and environment → startSyncServer, signals → graceful close. Thin on purpose.
import { serverDefaults, startSyncServer, type SyncServerOptions } from "@cosync/server";
import { serverOptionsFromArgs, UsageError, usage } from "./serve-args.js";

async function main(): Promise<number> {
  let serverOptions: SyncServerOptions | "help";
  try {
    serverOptions = serverOptionsFromArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`cosync: ${error.message}\nRun "cosync serve --help" for the options.\n`);
    return 2;
  }
  if (serverOptions === "help") {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  let server: Awaited<ReturnType<typeof startSyncServer>>;
  try {
    server = await startSyncServer(serverOptions);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const detail =
      code === "EADDRINUSE"
        ? `port ${serverOptions.port ?? serverDefaults.port} on ${serverOptions.host ?? serverDefaults.host} is already in use`
        : error instanceof Error
          ? error.message
          : String(error);
    process.stderr.write(`cosync: cannot start the server: ${detail}\n`);
    return 1;
  }
  process.stdout.write(`listening on ${server.url}\n`);
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
          process.stderr.write(`cosync: shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
          resolve(1);
        },
      );
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

process.exitCode = await main();
// Anything still holding the event loop (a stuck client socket) must not keep a stopped server alive.
process.exit();
