// `cosync signup-token`: prints a sign-up token for a server running with `--signup invite`.
import { defaultDbFile, signupTokenFromKeyFile } from "@cosync/server";
import { dirname, join, resolve } from "node:path";
import type { Command } from "./cli-commands.js";
import { describeError } from "./describe-error.js";
import { parseFlags } from "./parse-flags.js";
import { UsageError } from "./usage-error.js";

export const signupUsage = `Usage: cosync signup-token [options]

Prints a sign-up token for a server started with --auth … --signup invite: whoever holds it may
create an account there (connect with ?auth=<token>&signup=<sign-up token>) until it expires.
It is signed with the server's key, so it works on every process sharing that key file.

  --server-key-file <path>   the server's key (default: server-key.json beside ${defaultDbFile})
  --hours <h>                how long the token is valid (default 168, a week)
  -h, --help                 show this help`;

const flags = { "server-key-file": { type: "string" }, hours: { type: "string" }, help: { type: "boolean", short: "h" } } as const;

export const signupTokenCommand: Command = {
  summary: "prints a sign-up token for a server with --signup invite",
  async run(args) {
    let file: string;
    let hours: number;
    try {
      const { values, positionals } = parseFlags(args, flags);
      if (values.help === true) {
        process.stdout.write(`${signupUsage}\n`);
        return 0;
      }
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
      file = values["server-key-file"] ?? process.env.COSYNC_SERVER_KEY_FILE ?? join(dirname(resolve(defaultDbFile)), "server-key.json");
      const text = values.hours ?? "168";
      hours = /^\d+$/.test(text) ? Number(text) : Number.NaN;
      if (!(hours >= 1 && hours <= 24 * 365)) throw new UsageError(`--hours: expected an integer from 1 to 8760, got "${text}"`);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      process.stderr.write(`cosync: ${error.message}\nRun "cosync signup-token --help" for the options.\n`);
      return 2;
    }
    try {
      process.stdout.write(`${await signupTokenFromKeyFile(file, hours * 3_600_000)}\n`);
      return 0;
    } catch (error) {
      process.stderr.write(`cosync: ${describeError(error)}\n`);
      return 1;
    }
  },
};
