/** Thrown when a string or value does not have the format an id, key or encoding requires. */
export class FormatError extends TypeError {
  override readonly name = "FormatError";
}

/** Short, safe description of an untrusted value for error messages. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}
