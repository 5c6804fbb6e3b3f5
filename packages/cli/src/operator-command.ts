// The frame every operator command (inspect, stats, export, import, migrate, backup, delete)
// runs in: flags parsed with clean messages, --help, and one mapping of outcomes to exit codes —
// 0 done, 1 failed (the message says what), 2 usage mistake, 130 stopped by Ctrl-C / SIGTERM.
import type { Command } from "./cli-commands.js";
import { describeError } from "./describe-error.js";
import { type FlagSpec, type FlagValues, parseFlags } from "./parse-flags.js";
import { EXIT_STOPPED, listenForStop, type StopSignal, StoppedError } from "./stop-signal.js";
import { UsageError } from "./usage-error.js";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** What a command's body receives. */
export interface OperatorInvocation<Spec extends FlagSpec> {
  readonly values: FlagValues<Spec>;
  readonly positionals: readonly string[];
  readonly stop: StopSignal;
}

/**
 * A Command from its usage text, flags and body. The body throws UsageError for mistakes found
 * while checking its values (exit 2), anything else for failures (exit 1), StoppedError when it
 * stopped on a signal (exit 130); it resolves with its own exit code otherwise.
 */
export function operatorCommand<Spec extends FlagSpec>(options: {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: Spec;
  readonly run: (invocation: OperatorInvocation<Spec>) => Promise<number>;
}): Command {
  const helpCommand = `cosync ${options.name}`;
  return {
    summary: options.summary,
    async run(args) {
      using stop = listenForStop();
      try {
        const { values, positionals } = parseFlags(args, { ...options.flags, help: { type: "boolean", short: "h" } });
        if ((values as { help?: true }).help === true) {
          process.stdout.write(`${options.usage}\n`);
          return EXIT_OK;
        }
        return await options.run({ values: values as FlagValues<Spec>, positionals, stop });
      } catch (error) {
        if (error instanceof UsageError) {
          process.stderr.write(`cosync: ${error.message}\nRun "${helpCommand} --help" for the options.\n`);
          return EXIT_USAGE;
        }
        if (error instanceof StoppedError) {
          process.stderr.write(`cosync: ${error.message}\n`);
          return EXIT_STOPPED;
        }
        process.stderr.write(`cosync ${options.name}: ${describeError(error)}\n`);
        return EXIT_FAILED;
      }
    },
  };
}

/** Refuses positional arguments beyond `allowed` (named for the message). */
export function expectPositionals(positionals: readonly string[], names: readonly string[]): string[] {
  if (positionals.length > names.length) throw new UsageError(`unexpected argument "${positionals[names.length]}"`);
  names.forEach((name, index) => {
    if (positionals[index] === undefined) throw new UsageError(`missing ${name}`);
  });
  return [...positionals];
}

/** --db, else COSYNC_DB (as `cosync serve` reads them), with the source named for messages. */
export function dbFlag(value: string | undefined): { readonly text: string | undefined; readonly source: string } {
  if (value !== undefined) return { text: value, source: "--db" };
  const fromEnv = process.env.COSYNC_DB;
  return fromEnv === undefined ? { text: undefined, source: "--db" } : { text: fromEnv, source: "COSYNC_DB" };
}
