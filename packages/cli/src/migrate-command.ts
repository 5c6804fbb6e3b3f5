// `cosync migrate --from <store> --to <store>`: copies every CoValue between SQLite and Postgres
// (either way, or between two of a kind), verifying each piece as the server would, streaming
// values one at a time. Resumable: values the target already holds in full are skipped, a value
// copied halfway is verified again and only its missing transactions are stored.
import { AppendPipeline } from "./append-pipeline.js";
import { copyValue, nodeCoCrypto } from "./copy-value.js";
import { EXIT_OK, operatorCommand } from "./operator-command.js";
import { OperatorError, openOperatorStore, storeLocation } from "./open-store.js";
import { progressMode, startProgress } from "./progress.js";
import { covers, missingFrom, scanStore } from "./store-scan.js";
import { StoppedError } from "./stop-signal.js";
import { UsageError } from "./usage-error.js";
import { SignerDirectory } from "./value-verifier.js";

export const migrateUsage = `Usage: cosync migrate --from <store> --to <store> [options]

Copies every CoValue from one store to another (SQLite file ⇄ postgres:// URL), verifying every
header and signature on the way, then checks that the target holds every transaction of the
source. Stop the server on the source first (values written during a migration may be missed;
run migrate again to pick them up). Interrupted (Ctrl-C, a crash), it resumes when run again:
complete values are skipped, a half-copied one is completed.

  --from <file|postgres://…>   the store to read
  --to <file|postgres://…>     the store to write (a SQLite file is created if missing)
  --json                       print the result as JSON, no progress
  -h, --help                   show this help`;

const flags = { from: { type: "string" }, to: { type: "string" }, json: { type: "boolean" } } as const;

export const migrateCommand = operatorCommand({
  name: "migrate",
  summary: "copies a store to another (SQLite ⇄ Postgres), resumable, verified",
  usage: migrateUsage,
  flags,
  async run({ values, positionals, stop }) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const from = storeLocation(values.from, "--from");
    const to = storeLocation(values.to, "--to");
    if (JSON.stringify(from) === JSON.stringify(to)) throw new UsageError("--from and --to name the same store");
    const json = values.json === true;
    const started = performance.now();
    await using source = await openOperatorStore(from, { mustExist: true });
    await using target = await openOperatorStore(to, { mustExist: false });
    const scan = await scanStore(source.storage, stop);
    const crypto = await nodeCoCrypto();
    const signers = new SignerDirectory(async (id) => (await source.storage.summary(id))?.header);
    const pipeline = new AppendPipeline(target.storage);
    const progress = startProgress(progressMode(json), "migrate", scan.transactions, "tx");
    let alreadyThere = 0;
    try {
      for (const value of scan.values) {
        if (stop.requested !== undefined) {
          await pipeline.drain();
          throw new StoppedError(`stopped by ${stop.requested}; run the same migrate again to resume`);
        }
        const complete = covers(await target.storage.knownState(value.id), value) && (!value.deleted || (await target.storage.isDeleted(value.id)));
        if (complete) {
          alreadyThere++;
          progress.advance(value.transactions);
          continue;
        }
        const pieces = source.storage.load(value.id);
        const summary = await source.storage.summary(value.id);
        if (summary === undefined) continue; // erased since the scan
        const sessionsOnly = (async function* () {
          for await (const piece of pieces) yield piece.sessions;
        })();
        await copyValue({ id: value.id, header: summary.header, deleted: value.deleted, pieces: sessionsOnly }, crypto, signers, { storage: target.storage, pipeline }, (n) =>
          progress.advance(n),
        );
      }
      await pipeline.drain();
    } finally {
      progress.stop();
    }
    const skipped = pipeline.skippedDeleted;
    const missing = (await missingFrom(target.storage, scan)).filter((id) => !skipped.has(id));
    if (missing.length > 0) {
      throw new OperatorError(`after copying, the target lacks transactions of ${missing.length} values (first: ${missing.slice(0, 5).join(", ")})`);
    }
    const seconds = (performance.now() - started) / 1000;
    const result = {
      from: source.description,
      to: target.description,
      covalues: scan.values.length,
      alreadyThere,
      sessions: scan.sessions,
      transactions: scan.transactions,
      verified: true,
      skippedDeletedInTarget: [...skipped],
      seconds,
      transactionsPerSecond: Math.round(scan.transactions / Math.max(seconds, 0.001)),
    };
    if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write(
        `migrated ${result.covalues} values (${alreadyThere} were already there), ${result.sessions} sessions, ${result.transactions} transactions from ${result.from} to ${result.to} in ${seconds.toFixed(1)} s; counts verified: the target holds every transaction of the source\n`,
      );
      if (skipped.size > 0) process.stdout.write(`skipped ${skipped.size} values the target holds tombstones for: ${[...skipped].join(", ")}\n`);
    }
    return EXIT_OK;
  },
});
