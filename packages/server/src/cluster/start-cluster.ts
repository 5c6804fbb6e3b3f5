import type { LocalNode, Logger } from "@cosync/core";
import type { Registry } from "prom-client";
import type { ClusterBus } from "./cluster-bus.js";
import { ClusterLink } from "./cluster-link.js";
import { ClusterMetrics } from "./cluster-metrics.js";
import type { ResolvedCluster } from "./cluster-options.js";
import { openNatsBus } from "./nats-bus.js";
import { openPostgresBus } from "./postgres-bus.js";

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
  const bus = config.kind === "nats" ? await openNatsBus({ url: config.url, subject: config.subject, name }) : await openPostgresBus({ url: config.url, name });
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
