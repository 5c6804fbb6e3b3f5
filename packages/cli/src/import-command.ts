// `cosync import dump.cosync --db <store>`: checks the dump's hash and counts, then verifies
// every header and signature (resolving signer accounts from the dump itself, then the target)
// and stores what verified. Importing the same dump again stores nothing new, and says so: the
// result counts the transactions that were new to the store and those it already held.
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { AppendPipeline } from "./append-pipeline.js";
import { copyValue, nodeCoCrypto } from "./copy-value.js";
import { checkDumpIntegrity, readDumpValues } from "./dump-reader.js";
import { dbFlag, EXIT_OK, expectPositionals, operatorCommand } from "./operator-command.js";
import { openOperatorStore, type OperatorStore, storeLocation } from "./open-store.js";
import { progressMode, startProgress } from "./progress.js";
import { StoppedError } from "./stop-signal.js";
import { SignerDirectory } from "./value-verifier.js";
import { UsageError } from "./usage-error.js";

export const importUsage = `Usage: cosync import <dump> --db <store> [options]

Loads a dump written by "cosync export" into a store. First the whole file is checked against its
manifest (SHA-256 and counts), so an altered or cut-short dump is refused before anything is
written. Then every value's header must hash to its id and every session's hash chain must carry
a valid signature of its author (accounts are read from the dump, groups and accounts first, or
from the target store); a value failing that stops the import, naming the value, the session and
the check (values before it are stored: they verified). Importing twice stores nothing new: the
result says how many transactions were new to the store and how many it already held.

  --db <file|postgres://…>   the store to import into (default: COSYNC_DB); a SQLite file is created if missing
  --check                    verify the dump completely, write nothing (--db not needed)
  --json                     print the result as JSON, no progress
  -h, --help                 show this help`;

const flags = { db: { type: "string" }, check: { type: "boolean" }, json: { type: "boolean" } } as const;

export const importCommand = operatorCommand({
  name: "import",
  summary: "verifies a dump and loads it into a store",
  usage: importUsage,
  flags,
  async run({ values, positionals, stop }) {
    const [dumpArg] = expectPositionals(positionals, ["the dump file to import"]);
    const dump = resolve(dumpArg as string);
    const checkOnly = values.check === true;
    const db = dbFlag(values.db);
    const location = checkOnly && db.text === undefined ? undefined : storeLocation(db.text, db.source);
    if (checkOnly && values.db !== undefined) throw new UsageError("--check writes nothing: leave out --db");
    const json = values.json === true;
    const mode = progressMode(json);
    const started = performance.now();

    const integrity = startProgress(mode, "checking", (await stat(dump)).size, "bytes");
    const manifest = await checkDumpIntegrity(dump, (bytes) => integrity.advance(bytes));
    integrity.stop();
    if (stop.requested !== undefined) throw new StoppedError(`stopped by ${stop.requested} before anything was written`);

    const crypto = await nodeCoCrypto();
    let store: OperatorStore | undefined;
    try {
      store = location === undefined ? undefined : await openOperatorStore(location, { mustExist: false });
      const target = store === undefined ? undefined : { storage: store.storage, pipeline: new AppendPipeline(store.storage) };
      const targetStorage = store?.storage;
      const signers = new SignerDirectory(async (id) => (await targetStorage?.summary(id))?.header);
      const progress = startProgress(mode, checkOnly ? "verify" : "import", manifest.transactions, "tx");
      let newTransactions = 0;
      let alreadyPresent = 0;
      const advance = (transactions: number, added: number | undefined) => {
        progress.advance(transactions);
        if (added === undefined) return;
        newTransactions += added;
        alreadyPresent += transactions - added;
      };
      try {
        for await (const value of readDumpValues(dump)) {
          if (stop.requested !== undefined) {
            await target?.pipeline.drain();
            throw new StoppedError(`stopped by ${stop.requested}; what was stored verified; run the import again to finish it`);
          }
          await copyValue(value, crypto, signers, target, advance);
        }
        await target?.pipeline.drain();
      } finally {
        progress.stop();
      }
      const skipped = target === undefined ? [] : [...target.pipeline.skippedDeleted];
      const seconds = (performance.now() - started) / 1000;
      const result = {
        dump,
        verified: true,
        written: !checkOnly,
        covalues: manifest.covalues,
        sessions: manifest.sessions,
        transactions: manifest.transactions,
        ...(checkOnly ? {} : { newTransactions, alreadyPresentTransactions: alreadyPresent }),
        sha256: manifest.sha256,
        skippedDeletedInTarget: skipped,
        seconds,
      };
      if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else {
        const what = `${result.covalues} values, ${result.sessions} sessions, ${result.transactions} transactions`;
        const fresh = `${newTransactions} new transactions, ${alreadyPresent} already present`;
        process.stdout.write(
          checkOnly
            ? `verified ${what}: every header and signature checks out\n`
            : `imported ${what} into ${store?.description} (${fresh}), every signature verified, in ${seconds.toFixed(1)} s\n`,
        );
        if (skipped.length > 0) process.stdout.write(`skipped ${skipped.length} values the target holds tombstones for: ${skipped.join(", ")}\n`);
      }
      return EXIT_OK;
    } finally {
      await store?.[Symbol.asyncDispose]();
    }
  },
});
