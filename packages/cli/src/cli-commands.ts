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

/** What `cosync` itself takes before a command. */
const topLevelOptions = ["help", "version"];

/**
 * Reads the command (or --version, --help, `help <command>`) from the front of `argv`; throws
 * UsageError otherwise.
 */
export function parseInvocation(argv: readonly string[], commands: Readonly<Record<string, Command>>): Invocation {
  const [first, ...rest] = argv;
  if (first === "--version" || first === "-v") {
    if (rest.length > 0) throw new UsageError(`${first} takes no other arguments`);
    return { type: "version" };
  }
  if (first === "--help" || first === "-h") return { type: "help" };
  if (first === undefined) throw new UsageError("missing command");
  if (first.startsWith("-")) {
    // "--hlep" is a typo of cosync's own option; "--port" belongs to a command and goes after it.
    const suggestion = first.startsWith("--") ? closestName(first.slice(2), topLevelOptions) : undefined;
    if (suggestion !== undefined) throw new UsageError(`unknown option ${first} (did you mean --${suggestion}?)`);
    throw new UsageError(`expected a command before the options, e.g. "cosync serve ${first}"`);
  }
  if (first === "help") {
    // `cosync help serve` is `cosync serve --help`.
    const [name, ...extra] = rest;
    if (name === undefined || name === "help") return { type: "help" };
    if (extra.length > 0) throw new UsageError(`help takes one command, got "${rest.join(" ")}"`);
    return { type: "command", name: knownCommand(name, commands), args: ["--help"] };
  }
  return { type: "command", name: knownCommand(first, commands), args: rest };
}

/** `name` if it is a command; otherwise throws UsageError with the closest command. */
function knownCommand(name: string, commands: Readonly<Record<string, Command>>): string {
  if (Object.hasOwn(commands, name)) return name;
  const suggestion = closestName(name, [...Object.keys(commands), "help"]);
  throw new UsageError(`unknown command "${name}"${suggestion === undefined ? "" : ` (did you mean ${suggestion}?)`}`);
}

/** `cosync --help`, listing `commands`. */
export function topLevelUsage(commands: Readonly<Record<string, Command>>): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length)) + 2;
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}${command.summary}`);
  return `Usage: cosync <command> [options]
       cosync help <command>

Commands:
${lines.join("\n")}

Options:
  -h, --help      show this help ("cosync help <command>" or "cosync <command> --help" shows the command's options)
  -v, --version   print the version`;
}
