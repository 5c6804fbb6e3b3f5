#!/usr/bin/env node
// `cosync <command>`: picks the command and exits with its code. Thin on purpose; each command
// parses its own flags.
import { type Command, parseInvocation, topLevelUsage } from "./cli-commands.js";
import { backupCommand } from "./backup-command.js";
import { cliVersion } from "./cli-version.js";
import { conformanceCommand } from "./conformance-command.js";
import { deleteCommand } from "./delete-command.js";
import { exportCommand } from "./export-command.js";
import { importCommand } from "./import-command.js";
import { inspectCommand } from "./inspect-command.js";
import { migrateCommand } from "./migrate-command.js";
import { statsCommand } from "./stats-command.js";
import { unknownVariableMessage, unknownVariables } from "./serve-args.js";
import { serveCommand } from "./serve-command.js";
import { signupTokenCommand } from "./signup-token-command.js";
import { UsageError } from "./usage-error.js";

const commands: Readonly<Record<string, Command>> = {
  serve: serveCommand,
  "signup-token": signupTokenCommand,
  export: exportCommand,
  import: importCommand,
  migrate: migrateCommand,
  inspect: inspectCommand,
  stats: statsCommand,
  backup: backupCommand,
  delete: deleteCommand,
  conformance: conformanceCommand,
};

async function main(argv: readonly string[]): Promise<number> {
  let invocation: ReturnType<typeof parseInvocation>;
  try {
    invocation = parseInvocation(argv, commands);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`cosync: ${error.message}\n\n${topLevelUsage(commands)}\n`);
    return 2;
  }
  switch (invocation.type) {
    case "version":
      process.stdout.write(`${cliVersion()}\n`);
      return 0;
    case "help":
      process.stdout.write(`${topLevelUsage(commands)}\n`);
      return 0;
    case "command":
      // serve refuses unknown variables itself; the other commands read only a few, so a typo
      // (COSYNC_DBB) would pass unnoticed without this.
      if (invocation.name !== "serve") {
        for (const variable of unknownVariables(process.env)) process.stderr.write(`cosync: warning: ${unknownVariableMessage(variable, ", ignored")}\n`);
      }
      return (commands[invocation.name] as Command).run(invocation.args);
  }
}

process.exitCode = await main(process.argv.slice(2));
// Anything still holding the event loop (a stuck client socket) must not keep a stopped server alive.
process.exit();
