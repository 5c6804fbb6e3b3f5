// argv → flag values, with messages a person can act on. Node's strict parseArgs says
// "Unknown option '--prot'. To specify a positional argument starting with a '-', place it at the
// end of the command after '--', as in '-- \"--prot\"" and calls "--port -5" ambiguous; this
// parses leniently and judges the tokens itself.
import { parseArgs } from "node:util";
import { closestName } from "./closest-name.js";
import { UsageError } from "./usage-error.js";

/** The flags of a command, as parseArgs takes them. */
export type FlagSpec = Readonly<Record<string, { readonly type: "string" | "boolean"; readonly multiple?: boolean; readonly short?: string }>>;

/** What each flag was given: a string (or strings, if repeatable) for string flags, true for boolean ones. */
export type FlagValues<Spec extends FlagSpec> = {
  -readonly [Name in keyof Spec]?: Spec[Name]["type"] extends "boolean" ? true : Spec[Name]["multiple"] extends true ? string[] : string;
};

/**
 * Parses `args` against `spec`. Refuses, naming the flag: unknown flags (with the closest known
 * one), a flag given twice (except repeatable ones), a string flag without a value, a value given to
 * a boolean flag. `--port -5` gives --port the value "-5", for its own check to refuse. Callers
 * add the pointer to their --help to every refusal, so the messages here leave it out.
 */
export function parseFlags<Spec extends FlagSpec>(args: readonly string[], spec: Spec): { values: FlagValues<Spec>; positionals: string[] } {
  const { tokens } = parseArgs({ args: [...args], options: spec as never, allowPositionals: true, strict: false, tokens: true });
  const values: Record<string, string | string[] | true> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") positionals.push(token.value);
    if (token.kind !== "option") continue;
    const flag = spec[token.name];
    if (flag === undefined) throw new UsageError(unknownOption(token.rawName, spec));
    const shown = `--${token.name}`;
    if (flag.type === "boolean") {
      if (token.value !== undefined) throw new UsageError(`${shown} takes no value (got "${token.value}")`);
      if (values[token.name] !== undefined) throw new UsageError(`${shown}: given more than once`);
      values[token.name] = true;
      continue;
    }
    // "--db --in-memory": the next flag was taken for the value. A negative number is a value.
    const value = token.value;
    if (value === undefined || (token.inlineValue !== true && value.startsWith("-") && !/^-[\d.]/.test(value))) {
      throw new UsageError(`${shown} needs a value`);
    }
    const previous = values[token.name];
    if (flag.multiple === true) values[token.name] = [...((previous as string[] | undefined) ?? []), value];
    else if (previous !== undefined) throw new UsageError(`${shown}: given more than once`);
    else values[token.name] = value;
  }
  return { values: values as FlagValues<Spec>, positionals };
}

function unknownOption(rawName: string, spec: FlagSpec): string {
  const suggestion = rawName.startsWith("--") ? closestName(rawName.slice(2), Object.keys(spec)) : longFlagOf(rawName, spec);
  return suggestion === undefined ? `unknown option ${rawName}` : `unknown option ${rawName} (did you mean --${suggestion}?)`;
}

/** `-p` for `--port`: the one long flag starting with the letter, if only one does. */
function longFlagOf(rawName: string, spec: FlagSpec): string | undefined {
  const letter = /^-([a-z])$/i.exec(rawName)?.[1];
  if (letter === undefined) return undefined;
  const starting = Object.keys(spec).filter((name) => name.startsWith(letter.toLowerCase()));
  return starting.length === 1 ? starting[0] : undefined;
}
