// `cosync inspect <id> --db <store>`: a CoValue's structure — header, owner chain, sessions with
// authors, counts, sizes, first/last madeAt, deletion state, who may read and write — never its
// content: transactions' changes are not read, and the node evaluating roles holds no keys.
import { type CoId, canonicalJson, isDeleteSessionId, parseCoId } from "@cosync/core";
import { type AccessReport, reportAccess, reportAccessWith } from "./access-report.js";
import { redactPassword } from "./db-setting.js";
import { connectRemoteNode, loadRemoteValue } from "./remote-node.js";
import { nodeCoCrypto } from "./copy-value.js";
import { dbFlag, EXIT_OK, expectPositionals, operatorCommand } from "./operator-command.js";
import { OperatorError, openOperatorStore, storeLocation } from "./open-store.js";
import { UsageError } from "./usage-error.js";
import { reportPieces, reportValue, type ValueReport } from "./value-report.js";

export const inspectUsage = `Usage: cosync inspect <co_z…> (--db <store> | --url <ws://server>) [options]

Shows what the store holds of one CoValue: its header, its owner group and the groups that group
extends, each session with its author, transaction counts (private/trusting), stored size and
first/last madeAt, whether it is deleted, and who may read and write it (effective roles from the
owner group's membership). Never shows content: no changes, no plaintext, no keys.

  --db <file|postgres://…>   the store to read (default: COSYNC_DB)
  --url <ws://…>             ask a running server instead, as a client without an account would
                             (add ?auth=… if it requires a token); deletion then shows as the
                             presence of a delete session
  --json                     print the report as JSON
  -h, --help                 show this help`;

const flags = { db: { type: "string" }, url: { type: "string" }, json: { type: "boolean" } } as const;

export const inspectCommand = operatorCommand({
  name: "inspect",
  summary: "shows a value's structure, authors and access (never content)",
  usage: inspectUsage,
  flags,
  async run({ values, positionals }) {
    const [idText] = expectPositionals(positionals, ["the id of the CoValue to inspect (co_z…)"]);
    let id: ReturnType<typeof parseCoId>;
    try {
      id = parseCoId(idText, "id");
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    if (values.url !== undefined && values.db !== undefined) throw new UsageError("--db and --url: choose one");
    const { report, access } = values.url !== undefined ? await inspectRemote(values.url, id) : await inspectStore(values.db, id);
    if (values.json === true) process.stdout.write(`${JSON.stringify({ ...report, access })}\n`);
    else process.stdout.write(describe(report, access));
    return EXIT_OK;
  },
});

async function inspectStore(dbValue: string | undefined, id: CoId): Promise<{ report: ValueReport; access: AccessReport }> {
  const db = dbFlag(dbValue);
  await using store = await openOperatorStore(storeLocation(db.text, db.source), { mustExist: true });
  const report = await reportValue(store.storage, id);
  if (report === undefined) {
    const tombstone = await store.storage.isDeleted(id);
    throw new OperatorError(`${id} is not in ${store.description}${tombstone ? " (a deletion tombstone names it)" : ""}`);
  }
  return { report, access: await reportAccess(store.storage, await nodeCoCrypto(), id, report.header) };
}

async function inspectRemote(url: string, id: CoId): Promise<{ report: ValueReport; access: AccessReport }> {
  if (!/^wss?:\/\//.test(url)) throw new UsageError(`--url: expected a ws:// or wss:// URL, got "${redactPassword(url)}"`);
  await using remote = await connectRemoteNode(url, await nodeCoCrypto());
  const { header, sessions } = await loadRemoteValue(remote.node, id);
  const deleted = Object.entries(sessions).some(([session, piece]) => isDeleteSessionId(session) && piece.transactions.length > 0);
  const report = await reportPieces(id, header, deleted, [sessions]);
  return { report, access: await reportAccessWith(remote.node, id, header) };
}

function describe(report: ValueReport, access: AccessReport): string {
  const lines: string[] = [];
  const { header } = report;
  lines.push(`${report.id}  ${report.kind}${report.deleted ? "  DELETED (tombstone: only delete sessions are kept)" : ""}`);
  // Canonical (sorted keys): the same header reads the same from a store and from a server.
  lines.push(`  header: type ${header.type}, ruleset ${canonicalJson(header.ruleset)}, meta ${canonicalJson(header.meta)}, createdAt ${String(header.createdAt)}`);
  lines.push(`  stored: ${plural(report.sessions.length, "session")}, ${report.transactions} transactions, ${report.bytes} bytes, madeAt ${report.firstMadeAt ?? "-"} … ${report.lastMadeAt ?? "-"}`);
  lines.push("  owner chain:");
  if (access.ownerChain.length === 0) lines.push(`    none (ruleset ${access.rule})`);
  for (const link of access.ownerChain) lines.push(`    ${link.id}  ${link.kind}  (${link.via})`);
  lines.push("  sessions:");
  for (const s of report.sessions) {
    lines.push(
      `    ${s.session}${s.deletes ? "  [delete session]" : ""}\n      author ${s.author}: ${s.transactions} tx (${s.privateTransactions} private, ${s.trustingTransactions} trusting), ${s.bytes} bytes, ${s.firstMadeAt ?? "-"} … ${s.lastMadeAt ?? "-"}`,
    );
  }
  lines.push("  access:");
  const list = (members: readonly string[]) => (members.length === 0 ? "nobody" : members.join(", "));
  lines.push(`    may read:  ${list(access.readers)}`);
  lines.push(`    may write: ${list(access.writers)}`);
  lines.push(`    admins (may delete): ${list(access.admins)}`);
  for (const [member, role] of Object.entries(access.roles)) lines.push(`    ${member}: ${role}`);
  return `${lines.join("\n")}\n`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
