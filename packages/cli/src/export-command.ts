// `cosync export --db <store> --out dump.cosync`: every CoValue as stored (headers, signed
// session logs, tombstones), streamed into a verifiable dump (see dump-format.ts).
import { createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { once } from "node:events";
import { DUMP_VERSION, type DumpRecord, DumpTally } from "./dump-format.js";
import { dbFlag, EXIT_OK, operatorCommand } from "./operator-command.js";
import { OperatorError, openOperatorStore, pathExists, storeLocation } from "./open-store.js";
import { progressMode, startProgress } from "./progress.js";
import { scanStore } from "./store-scan.js";
import { StoppedError } from "./stop-signal.js";
import { UsageError } from "./usage-error.js";

export const exportUsage = `Usage: cosync export --db <store> --out <file> [options]

Writes every CoValue of the store into a portable dump: headers and signed session logs exactly
as stored, groups and accounts first, and a closing manifest with counts and a SHA-256 of the
rest. Nothing is decrypted. Safe while a server runs: each value is read as one consistent
snapshot (for one point in time across all values, export a backup instead).

  --db <file|postgres://…>   the store to read (default: COSYNC_DB)
  --out <file>               where to write the dump (written as <file>.partial, renamed when complete);
                             an existing file is refused unless --force
  --force                    replace an existing --out file
  --json                     print the result as JSON, no progress
  -h, --help                 show this help`;

const flags = { db: { type: "string" }, out: { type: "string" }, force: { type: "boolean" }, json: { type: "boolean" } } as const;

export const exportCommand = operatorCommand({
  name: "export",
  summary: "writes a verifiable dump of a store",
  usage: exportUsage,
  flags,
  async run({ values, positionals, stop }) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const db = dbFlag(values.db);
    const location = storeLocation(db.text, db.source);
    if (values.out === undefined) throw new UsageError("--out is required: the file to write the dump to");
    const out = resolve(values.out);
    const force = values.force === true;
    // Checked before the work and again before the rename, which would replace the file silently.
    await refuseExisting(out, force);
    const json = values.json === true;
    const started = performance.now();
    await using store = await openOperatorStore(location, { mustExist: true });
    const scan = await scanStore(store.storage, stop);
    const partial = `${out}.partial`;
    const file = createWriteStream(partial);
    const tally = new DumpTally();
    const write = async (record: DumpRecord) => {
      const line = JSON.stringify(record);
      if (record.kind !== "manifest") tally.add(line, record);
      if (!file.write(`${line}\n`)) await once(file, "drain");
    };
    const progress = startProgress(progressMode(json), "export", scan.transactions, "tx");
    try {
      await write({ kind: "cosync-dump", version: DUMP_VERSION, createdAt: new Date().toISOString(), source: store.kind });
      for (const value of scan.values) {
        if (stop.requested !== undefined) throw new StoppedError(`stopped by ${stop.requested}; the partial dump was removed`);
        let first = true;
        for await (const piece of store.storage.load(value.id)) {
          if (first) {
            if (piece.header === undefined) throw new Error(`${value.id}: storage returned no header`);
            await write({ kind: "covalue", id: value.id, header: piece.header, deleted: value.deleted });
            first = false;
          }
          await write({ kind: "piece", id: value.id, sessions: piece.sessions });
          let transactions = 0;
          for (const session of Object.values(piece.sessions)) transactions += session.transactions.length;
          progress.advance(transactions);
        }
        if (first) {
          // A value with a header and no transactions may load as nothing at all.
          const summary = await store.storage.summary(value.id);
          if (summary !== undefined) await write({ kind: "covalue", id: value.id, header: summary.header, deleted: value.deleted });
        }
      }
      const manifest = tally.manifest();
      await write(manifest);
      file.end();
      await once(file, "close");
      progress.stop();
      await refuseExisting(out, force);
      await rename(partial, out);
      const bytes = (await stat(out)).size;
      const seconds = (performance.now() - started) / 1000;
      const result = { file: out, bytes, covalues: manifest.covalues, sessions: manifest.sessions, transactions: manifest.transactions, sha256: manifest.sha256, seconds };
      process.stdout.write(
        json
          ? `${JSON.stringify(result)}\n`
          : `exported ${result.covalues} values, ${result.sessions} sessions, ${result.transactions} transactions to ${out} (${bytes} bytes, sha256 ${result.sha256}) in ${seconds.toFixed(1)} s\n`,
      );
      return EXIT_OK;
    } catch (error) {
      progress.stop();
      file.destroy();
      await rm(partial, { force: true });
      throw error;
    }
  },
});

async function refuseExisting(out: string, force: boolean): Promise<void> {
  if (force || !(await pathExists(out))) return;
  throw new OperatorError(`${out} exists; choose a new file, or add --force to replace it`);
}
