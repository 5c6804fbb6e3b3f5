import type { JsonValue } from "@cosync/core";

/** A typed value as plain JSON: instances by their `toJSON`, stubs by their id. */
export function toPlainJson(value: unknown): JsonValue | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "object" && value !== null) {
    if ("toJSON" in value && typeof value.toJSON === "function") return value.toJSON() as JsonValue;
    if ("$isLoaded" in value && "$id" in value) return (value as { $id: string }).$id;
  }
  return value as JsonValue;
}
