/** A command-line mistake: printed with a hint to the help text, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
