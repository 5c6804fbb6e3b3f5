// `cosync <command>`: which command runs, or --version / --help. Each command parses its own flags.
import { closestName } from "./closest-name.js";
import { UsageError } from "./usage-error.js";

/** A subcommand of `cosync`. */
export interface Command {
  /** One line for `cosync --help`. */
  readonly summary: string;
  /** Runs with the arguments after the command's name; resolves with the exit code. */
  run(args: readonly string[]): Promise<number>;
}

/** What the first arguments ask for. */
export type Invocation =
  | { readonly type: "version" }
  | { readonly type: "help" }
  | { readonly type: "command"; readonly name: string; readonly args: readonly string[] };

/** Reads the command (or --version, --help) from the front of `argv`; throws UsageError otherwise. */
export function parseInvocation(argv: readonly string[], commands: Readonly<Record<string, Command>>): Invocation {
  const [first, ...rest] = argv;
  if (first === "--version" || first === "-v") {
    if (rest.length > 0) throw new UsageError(`${first} takes no other arguments`);
    return { type: "version" };
  }
  if (first === "--help" || first === "-h") return { type: "help" };
  if (first === undefined) throw new UsageError("missing command");
  if (first.startsWith("-")) throw new UsageError(`expected a command before the options, e.g. "cosync serve ${first}"`);
  if (!Object.hasOwn(commands, first)) {
    const suggestion = closestName(first, Object.keys(commands));
    throw new UsageError(`unknown command "${first}"${suggestion === undefined ? "" : ` (did you mean ${suggestion}?)`}`);
  }
  return { type: "command", name: first, args: rest };
}

/** `cosync --help`, listing `commands`. */
export function topLevelUsage(commands: Readonly<Record<string, Command>>): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length)) + 2;
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}${command.summary}`);
  return `Usage: cosync <command> [options]

Commands:
${lines.join("\n")}

Options:
  -h, --help      show this help ("cosync <command> --help" shows the command's options)
  -v, --version   print the version`;
}
