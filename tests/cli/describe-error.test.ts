import { expect, test } from "vitest";
import { describeError } from "../../packages/cli/src/describe-error.js";

test("describe error: a wrapper's message is followed by its causes, each said once", () => {
  const root = new Error("EACCES: permission denied, open '/data/s.db'");
  const middle = new Error("cannot open storage", { cause: root });
  expect(describeError(new Error("cannot start", { cause: middle }))).toBe("cannot start: cannot open storage: EACCES: permission denied, open '/data/s.db'");
  // A message that already quotes its cause does not repeat it.
  expect(describeError(new Error(`postgres: schema migration failed: ${root.message}`, { cause: root }))).toBe(
    "postgres: schema migration failed: EACCES: permission denied, open '/data/s.db'",
  );
  expect(describeError("plain text")).toBe("plain text");
  const loop = new Error("a");
  (loop as { cause?: unknown }).cause = loop;
  expect(describeError(loop)).toBe("a");
});
