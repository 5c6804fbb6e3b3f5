// fast-check generators of malformed and adversarial frame entries for the wire fuzz
// (wire-fuzz.test.ts). Every `refusedEntry` is one line that a conforming server must refuse with
// exactly one error notice and otherwise ignore: not JSON, not an object, an unknown or mistyped
// action, a message with one field broken (invalid ids, wrong types, huge or negative numbers),
// or nesting deeper than any sync message. Each candidate is checked against core's validator, so
// a mutation that happens to stay valid is never counted as malformed.
import { type CoId, validateSyncMessage } from "@cosync/core";
import fc from "fast-check";

/**
 * A line, its category (counted in the report), and how many notices it must get: one for every
 * refused entry; none for a JSON object with neither `action`, `time` nor `error`, which the
 * protocol ignores (room for extensions).
 */
export interface RefusedEntry {
  readonly kind: string;
  readonly line: string;
  readonly notices?: 0;
}

const validActions = ["load", "known", "content", "done", "reconcile", "reconcile-ack"];

/** Anything that is not valid JSON text (and holds no newline: one entry is one line). */
const notJson: fc.Arbitrary<RefusedEntry> = fc
  .oneof(
    fc.string({ maxLength: 80 }),
    fc.string({ unit: "binary", maxLength: 80 }),
    fc.constantFrom("{", "}", '{"action":', '{"action":"load"', "[1,2", "NaN", "undefined", "{'a':1}", '{"a":1}}', "\u0000", "\ufeff{}"),
    fc.json().map((json) => `${json}x`),
  )
  .map((text) => text.replaceAll("\n", " "))
  // The empty frame is ignored by definition; inside a frame an empty line is refused like any other.
  .filter((text) => text !== "" && !parses(text))
  .map((line) => ({ kind: "not JSON", line }));

/** Valid JSON that is not an object: numbers (huge ones too), strings, arrays, null, booleans. */
const notAnObject: fc.Arbitrary<RefusedEntry> = fc
  .oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
    fc.bigInt({ min: 10n ** 300n, max: 10n ** 400n }).map((n) => n.toString()),
    fc.string({ maxLength: 40 }).map((s) => JSON.stringify(s)),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }).map((a) => JSON.stringify(a)),
    fc.constantFrom("null", "true", "false", "[]", '[{"action":"load"}]'),
  )
  .map((line) => ({ kind: "not an object", line }));

/** An `action` that is not one of the protocol's, or not a string. */
const unknownAction: fc.Arbitrary<RefusedEntry> = fc
  .record({
    action: fc.oneof(
      fc.string({ maxLength: 20 }).filter((a) => !validActions.includes(a)),
      fc.constantFrom(null, 1, true, ["load"], { load: true }, "LOAD", " load", "load\u0000"),
    ),
    extra: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  })
  .map(({ action, extra }) => ({ kind: "unknown action", line: JSON.stringify({ ...extra, action }) }));

/** Values that are wrong for every field of a sync message. */
const wrongValue = fc.oneof(
  fc.constantFrom(null, true, -1, 1.5, 2 ** 53 + 2, 1e308, -1e308, "", "co_z", "co_zNOT_BASE58!", [], {}, [1], { a: 1 }),
  fc.string({ maxLength: 30 }),
  fc.integer({ min: -(2 ** 31), max: -1 }),
);

/** Something that looks like an id and is not one (wrong prefix, alphabet or length). */
const invalidId = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.stringMatching(/^co_z[0-9IOl_+/]{1,40}$/),
  fc.stringMatching(/^co_x[1-9A-HJ-NP-Za-km-z]{20,30}$/),
  fc.constantFrom("co_", "co_z", "CO_z1234", "co_z 123", "co_z1\u00e9", "sealer_z1", "co_z".padEnd(500, "z")),
);

/** A valid message of each action for `id`, from which one field is then broken. */
function template(id: CoId, sessionId: string) {
  return {
    load: { action: "load", id, header: false, sessions: { [sessionId]: 1 } },
    known: { action: "known", id, header: true, sessions: { [sessionId]: 2 } },
    content: {
      action: "content",
      id,
      priority: 3,
      new: { [sessionId]: { after: 0, newTransactions: [{ privacy: "trusting", madeAt: 1, changes: "[]" }], lastSignature: "signature_zx" } },
    },
    done: { action: "done", id },
    reconcile: { action: "reconcile", id: "batch", values: [[id, "hash"]] },
  } as Record<string, Record<string, unknown>>;
}

/** One field of a valid message replaced by a wrong value, an invalid id, or removed. */
function brokenMessage(ids: fc.Arbitrary<CoId>): fc.Arbitrary<RefusedEntry> {
  return fc
    .record({
      id: ids,
      session: fc.constantFrom("co_zabc_session_zdef", "sealer_z1/signer_z2_session_z3", "not-a-session", ""),
      action: fc.constantFrom("load", "known", "content", "done", "reconcile"),
      path: fc.constantFrom(["id"], ["header"], ["sessions"], ["sessions", "*"], ["priority"], ["new"], ["new", "*", "after"], ["new", "*", "newTransactions"], ["new", "*", "lastSignature"], ["values"]),
      value: fc.oneof(wrongValue, invalidId, fc.constant(undefined)),
    })
    .map(({ id, session, action, path, value }) => {
      const message = structuredClone(template(id, session)[action] as Record<string, unknown>);
      setPath(message, path, session, value);
      return { kind: `broken ${action}`, line: JSON.stringify(message) ?? "null" };
    })
    .filter((entry) => !validateSyncMessage(JSON.parse(entry.line)).ok);
}

/** Arrays or objects nested deeper than any sync message, inside an otherwise valid load. */
const deepNesting: fc.Arbitrary<RefusedEntry> = fc
  .record({ depth: fc.integer({ min: 200, max: 20_000 }), arrays: fc.boolean(), wrapped: fc.boolean() })
  .map(({ depth, arrays, wrapped }) => {
    const nested = arrays ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
    if (wrapped) return { kind: "deep nesting", line: `{"action":"load","id":"co_zx","header":false,"sessions":{},"x":${nested}}` };
    // A bare nested object has no action: ignored, like any unknown entry (it must not crash the server).
    return arrays ? { kind: "deep nesting", line: nested } : { kind: "ignored object", line: nested, notices: 0 as const };
  });

/** Objects without `action`, `time` or `error`: ignored by the protocol, never answered. */
const ignoredObject: fc.Arbitrary<RefusedEntry> = fc
  .dictionary(fc.string({ maxLength: 8 }).filter((key) => !["action", "time", "error"].includes(key)), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 })
  .map((value) => ({ kind: "ignored object", line: JSON.stringify(value), notices: 0 as const }));

/** Every kind of refused entry, weighted towards the cheap ones. */
export function refusedEntry(ids: fc.Arbitrary<CoId>): fc.Arbitrary<RefusedEntry> {
  return fc.oneof(
    { weight: 3, arbitrary: notJson },
    { weight: 2, arbitrary: notAnObject },
    { weight: 2, arbitrary: unknownAction },
    { weight: 6, arbitrary: brokenMessage(ids) },
    { weight: 1, arbitrary: deepNesting },
    { weight: 1, arbitrary: ignoredObject },
  );
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], session: string, value: unknown): void {
  let node: Record<string, unknown> = target;
  for (const [i, raw] of path.entries()) {
    const key = raw === "*" ? session : raw;
    if (i === path.length - 1) {
      if (value === undefined) delete node[key];
      else node[key] = value;
      return;
    }
    const next = node[key];
    if (next === null || typeof next !== "object") {
      // The template lacks this field for this action: break the message by adding it broken.
      node[key] = value;
      return;
    }
    node = next as Record<string, unknown>;
  }
}
