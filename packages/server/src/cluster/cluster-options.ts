import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { StorageChoice } from "../server-options.js";

/**
 * How server processes sharing one PostgreSQL database tell each other of commits:
 * `"nats://host:4222"` (a NATS server), `"postgres"` (LISTEN/NOTIFY on the `db` database, no
 * extra service) or a `postgres://` URL (LISTEN/NOTIFY on that database), or the object form.
 */
export type ClusterOption = string | ClusterOptions;

export interface ClusterOptions {
  /** As the string form. */
  readonly bus: string;
  /** NATS subject the processes share. Default `cosync.commits.<database name>`. */
  readonly subject?: string;
  /** This process's name on the bus. Default `<hostname>:<pid>:<random>`. */
  readonly processId?: string;
  /** Period of the sweep re-reading every held value from storage (ms; 0: only after bus reconnects). Default 30,000. */
  readonly catchUpIntervalMs?: number;
  /** Heartbeat period (ms), from which each process counts the cluster. Default 5,000. */
  readonly heartbeatMs?: number;
}

export type ResolvedCluster =
  | { readonly kind: "nats"; readonly url: string; readonly subject: string; readonly common: ClusterCommon }
  | { readonly kind: "postgres"; readonly url: string; readonly common: ClusterCommon };

export interface ClusterCommon {
  readonly processId: string;
  readonly catchUpIntervalMs: number;
  readonly heartbeatMs: number;
}

export const clusterDefaults = { catchUpIntervalMs: 30_000, heartbeatMs: 5_000 } as const;

const optionNames = new Set(["bus", "subject", "processId", "catchUpIntervalMs", "heartbeatMs"]);

/** Validates the `cluster` option against the chosen storage (the processes must share a PostgreSQL database). */
export function resolveClusterOption(option: ClusterOption | undefined, storage: StorageChoice): ResolvedCluster | undefined {
  if (option === undefined) return undefined;
  const options: ClusterOptions = typeof option === "string" ? { bus: option } : option;
  if (options === null || typeof options !== "object") throw new TypeError("cluster: expected a bus (nats://…, postgres or postgres://…) or { bus, … }");
  for (const name of Object.keys(options)) {
    if (!optionNames.has(name)) throw new TypeError(`cluster.${name}: unknown option (expected one of ${[...optionNames].join(", ")})`);
  }
  const { bus } = options;
  if (typeof bus !== "string" || bus.trim() === "") throw new TypeError("cluster: expected nats://host:port, postgres or a postgres:// URL");
  const databaseUrl = storage.kind === "postgres" ? storage.url : undefined;
  if (storage.kind !== "postgres" && storage.kind !== "given") {
    throw new TypeError(`cluster: server processes can share only a PostgreSQL database; db is ${storage.kind === "memory" ? "in memory" : "a SQLite file"}`);
  }
  const common: ClusterCommon = {
    processId: options.processId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`,
    catchUpIntervalMs: duration(options.catchUpIntervalMs, "cluster.catchUpIntervalMs", clusterDefaults.catchUpIntervalMs, 0),
    heartbeatMs: duration(options.heartbeatMs, "cluster.heartbeatMs", clusterDefaults.heartbeatMs, 1),
  };
  if (/^nats:\/\//i.test(bus)) {
    const subject = options.subject ?? `cosync.commits.${databaseName(databaseUrl)}`;
    if (!/^[A-Za-z0-9_.-]+$/.test(subject)) throw new TypeError(`cluster.subject: expected letters, digits, "_", "-" and ".", got "${subject}"`);
    return { kind: "nats", url: bus, subject, common };
  }
  if (options.subject !== undefined) throw new TypeError("cluster.subject: applies to a NATS bus only");
  if (bus === "postgres") {
    if (databaseUrl === undefined) throw new TypeError("cluster: postgres needs db to be a postgres:// URL (or give the bus as a postgres:// URL)");
    return { kind: "postgres", url: databaseUrl, common };
  }
  if (/^postgres(ql)?:\/\//i.test(bus)) return { kind: "postgres", url: bus, common };
  throw new TypeError(`cluster: expected nats://host:port, postgres or a postgres:// URL, got "${bus}"`);
}

function duration(value: unknown, argument: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) throw new TypeError(`${argument}: expected an integer ≥ ${min} (ms), got ${String(value)}`);
  return value;
}

/** The database name of a postgres:// URL, as a subject token ("default" when unknown). */
function databaseName(url: string | undefined): string {
  if (url === undefined) return "default";
  try {
    const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));
    const token = name.replace(/[^A-Za-z0-9_-]/g, "_");
    return token === "" ? "default" : token;
  } catch {
    return "default";
  }
}
