/** Any JSON value cojson can carry. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue | undefined };

const verbatimPrefixes = ["encrypted_U", "binary_U"] as const;

/**
 * cojson's canonical JSON ("stableStringify"): object keys sorted by UTF-16 code units, members
 * whose value is `undefined` skipped, `undefined` array items and non-finite numbers as `null`,
 * `toJSON()` honoured, strings via JSON.stringify — except strings starting with `encrypted_U` or
 * `binary_U`, which cojson quotes verbatim (they are base64url, so JSON.stringify would not change
 * them anyway; the shortcut only matters for speed).
 *
 * Ids, nonces, sealed payloads and short hashes are computed over these bytes, so any deviation
 * changes ids and breaks interop with cojson.
 */
export function canonicalJson(value: unknown): string | undefined {
  let node = value as { toJSON?: () => unknown } | unknown;
  if (node !== null && typeof node === "object" && typeof (node as { toJSON?: unknown }).toJSON === "function") {
    node = (node as { toJSON: () => unknown }).toJSON();
  }
  if (node === undefined) return undefined;
  if (typeof node === "number") return Number.isFinite(node) ? String(node) : "null";
  if (typeof node === "string") {
    for (const prefix of verbatimPrefixes) if (node.startsWith(prefix)) return `"${node}"`;
    return JSON.stringify(node);
  }
  if (typeof node !== "object") return JSON.stringify(node);
  if (node === null) return "null";
  if (Array.isArray(node)) {
    let out = "[";
    for (let index = 0; index < node.length; index++) {
      if (index > 0) out += ",";
      out += canonicalJson(node[index]) ?? "null";
    }
    return `${out}]`;
  }
  const record = node as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = "";
  for (const key of keys) {
    const member = canonicalJson(record[key]);
    if (member === undefined) continue;
    if (out.length > 0) out += ",";
    out += `${JSON.stringify(key)}:${member}`;
  }
  return `{${out}}`;
}

/** canonicalJson for values that are known to serialise (objects, arrays, primitives). */
export function canonicalJsonOf(value: JsonValue): string {
  const text = canonicalJson(value);
  if (text === undefined) throw new TypeError("canonicalJsonOf: value serialises to nothing");
  return text;
}
