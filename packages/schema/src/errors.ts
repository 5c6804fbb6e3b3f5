// What a schema write refuses: the value at `path` is not what the schema expects. Thrown before
// anything is written, so a refused write (or create) changes nothing.

/** A value does not match its schema; `path` names the field (e.g. `Todo.done`, `[2].title`). */
export class SchemaError extends TypeError {
  override readonly name = "SchemaError";
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly got: unknown,
  ) {
    super(`${path}: expected ${expected}, got ${describe(got)}`);
  }
}

/** A short, safe description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "string") return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object" && "$id" in value) return `the CoValue ${String((value as { $id: unknown }).$id)}`;
  return typeof value === "object" ? "an object" : typeof value;
}

/** Joins a path segment: `assignee` + `name` → `assignee.name`, `` + 3 → `[3]`, `` + `done` → `done`. */
export function pathJoin(path: string, segment: string | number): string {
  if (typeof segment === "number") return `${path}[${segment}]`;
  return path === "" ? segment : `${path}.${segment}`;
}
