// `cosync delete <id> --db <store>`: deleting a CoValue is, in cojson, a delete session signed by
// an admin of the value's owner group; servers and clients accept it from no one else. The
// operator holds no account, so it cannot write one: without --force the command refuses, naming
// who can. With --force it writes a storage tombstone (StorageAdapter.markDeleted: every
// non-delete session erased, later content for them refused) after appending an audit line.
// What reaches clients is described in docs/operations.md.
import { appendFile } from "node:fs/promises";
import { hostname, userInfo } from "node:os";
import { resolve } from "node:path";
import { parseCoId } from "@cosync/core";
import { reportAccess } from "./access-report.js";
import { nodeCoCrypto } from "./copy-value.js";
import { dbFlag, EXIT_OK, expectPositionals, operatorCommand } from "./operator-command.js";
import { OperatorError, openOperatorStore, storeLocation } from "./open-store.js";
import { UsageError } from "./usage-error.js";
import { reportValue } from "./value-report.js";

export const deleteUsage = `Usage: cosync delete <co_z…> --db <store> [options]

Only an admin of a value's owner group can delete it: cojson takes a deletion only as a delete
session that admin signed, and the operator holds no account. So without --force this refuses,
naming the admins who can (they delete it from their app).

With --force it writes an operator tombstone into the store: every session of the value except
delete sessions is erased, and content for them is refused from then on. An audit line (JSON:
time, user, host, store, id, reason, what was erased) is appended to the audit log first.
Clients are not told (no delete session exists to send them): they keep their copies, and the
server refuses what they send for it. A server running on the store keeps serving what it holds
in memory until it restarts: restart it (all processes, with Postgres) after a forced delete.

  --db <file|postgres://…>   the store (default: COSYNC_DB)
  --force                    write the operator tombstone although the operator is no admin
  --reason <text>            why, for the audit line (required with --force)
  --audit-log <file>         where audit lines go (default: ./cosync-audit.log)
  --json                     print the result as JSON
  -h, --help                 show this help`;

const flags = {
  db: { type: "string" },
  force: { type: "boolean" },
  reason: { type: "string" },
  "audit-log": { type: "string" },
  json: { type: "boolean" },
} as const;

export const deleteCommand = operatorCommand({
  name: "delete",
  summary: "refuses to delete a value (only its admins can), or tombstones it with --force",
  usage: deleteUsage,
  flags,
  async run({ values, positionals }) {
    const [idText] = expectPositionals(positionals, ["the id of the CoValue to delete (co_z…)"]);
    let id: ReturnType<typeof parseCoId>;
    try {
      id = parseCoId(idText, "id");
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    const force = values.force === true;
    if (force && (values.reason === undefined || values.reason.trim() === "")) throw new UsageError("--force needs --reason <text> for the audit line");
    const db = dbFlag(values.db);
    await using store = await openOperatorStore(storeLocation(db.text, db.source), { mustExist: true });
    const report = await reportValue(store.storage, id);
    if (report === undefined) throw new OperatorError(`${id} is not in ${store.description}`);
    if (report.deleted) {
      process.stdout.write(values.json === true ? `${JSON.stringify({ id, deleted: true, already: true })}\n` : `${id} is already deleted\n`);
      return EXIT_OK;
    }
    const access = await reportAccess(store.storage, await nodeCoCrypto(), id, report.header);
    if (!force) {
      const who = access.admins.length === 0 ? `no admin is known (ruleset ${access.rule})` : `admins: ${access.admins.join(", ")}`;
      throw new OperatorError(
        `refused: ${id} can only be deleted by an admin of its owner group (${who}) — a deletion is a delete session such an admin signs, and the operator holds no account. Ask an admin to delete it, or run again with --force --reason "…" for an operator tombstone`,
      );
    }
    const erased = report.sessions.filter((session) => !session.deletes);
    const audit = {
      time: new Date().toISOString(),
      action: "delete --force",
      user: userInfo().username,
      host: hostname(),
      store: store.description,
      id,
      kind: report.kind,
      reason: values.reason,
      admins: access.admins,
      erasedSessions: erased.length,
      erasedTransactions: erased.reduce((sum, session) => sum + session.transactions, 0),
    };
    const auditLog = resolve(values["audit-log"] ?? "cosync-audit.log");
    // Written before the tombstone: a forced delete never happens without its record.
    await appendFile(auditLog, `${JSON.stringify(audit)}\n`);
    process.stderr.write(`cosync delete: audit: ${JSON.stringify(audit)}\n`);
    await store.storage.markDeleted(id);
    process.stdout.write(
      values.json === true
        ? `${JSON.stringify({ id, deleted: true, auditLog, erasedSessions: audit.erasedSessions, erasedTransactions: audit.erasedTransactions })}\n`
        : `deleted ${id}: operator tombstone written, ${audit.erasedTransactions} transactions in ${audit.erasedSessions} sessions erased (audit line in ${auditLog}); restart servers running on this store\n`,
    );
    return EXIT_OK;
  },
});
