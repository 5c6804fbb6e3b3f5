import type { LocalNode, Logger } from "@cosync/core";
import type { Registry } from "prom-client";
import type { ClusterBus } from "./cluster-bus.js";
import { ClusterLink } from "./cluster-link.js";
import { ClusterMetrics } from "./cluster-metrics.js";
import type { ResolvedCluster } from "./cluster-options.js";

/** A server process's membership in a cluster. */
export interface Cluster {
  readonly link: ClusterLink;
  readonly bus: ClusterBus;
  /** Stops publishing and refreshing, then closes the bus. */
  close(): Promise<void>;
}

/** Opens the bus the options name and links `node` to it. Throws (naming the bus) if it cannot connect. */
export async function startCluster(config: ResolvedCluster, node: LocalNode, logger: Logger, registry: Registry): Promise<Cluster> {
  const name = `cosync ${config.common.processId}`;
  // Each bus's client library is loaded only by the processes that use it (nats and pg cost a
  // process a few MB of memory just by being imported).
  const bus =
    config.kind === "nats"
      ? await (await import("./nats-bus.js")).openNatsBus({ url: config.url, subject: config.subject, name })
      : await (await import("./postgres-bus.js")).openPostgresBus({ url: config.url, name });
  const link = new ClusterLink({
    node,
    bus,
    processId: config.common.processId,
    logger,
    metrics: new ClusterMetrics(registry),
    catchUpIntervalMs: config.common.catchUpIntervalMs,
    heartbeatMs: config.common.heartbeatMs,
  });
  logger.info({ bus: config.kind, processId: config.common.processId, ...(config.kind === "nats" ? { subject: config.subject } : {}) }, "joined the cluster");
  return {
    link,
    bus,
    async close() {
      await link.close();
      await bus.close();
    },
  };
}
