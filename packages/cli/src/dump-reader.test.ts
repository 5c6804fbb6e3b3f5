// A crafted dump must not exhaust memory: a line longer than any record is refused while reading.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { DumpFormatError } from "./dump-format.js";
import { checkDumpIntegrity } from "./dump-reader.js";

test("a line longer than 64 MiB is refused as not a dump, before it is held whole", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cosync-dump-"));
  try {
    const file = join(dir, "huge.cosync");
    await writeFile(file, `{"kind":"cosync-dump","version":1}\n${"x".repeat(64 * 1024 * 1024 + 16)}`);
    const error = await checkDumpIntegrity(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DumpFormatError);
    expect((error as Error).message).toMatch(/a line longer than 67108864 characters: not a cosync dump/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
