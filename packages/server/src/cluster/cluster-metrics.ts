import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/**
 * Prometheus metrics of this process's part in a cluster, in the server's registry. Cluster-wide
 * figures are the sum over processes (each is scraped on its own); `cosync_cluster_processes` is
 * how many processes this one heard from recently, itself included.
 *
 * - `cosync_cluster_bus_connected` (1/0), `cosync_cluster_processes`
 * - `cosync_cluster_bus_messages_total{direction}`, `cosync_cluster_notices_total{direction}`,
 *   `cosync_cluster_bus_dropped_total` (published while the bus was down)
 * - `cosync_cluster_bus_lag_seconds`: a commit elsewhere → its notice received here
 * - `cosync_cluster_refreshes_total{outcome}` (`applied`, `current`, `failed`): values re-read after a notice
 * - `cosync_cluster_delivered_transactions_total{via}` (`notice`, `catch_up`): transactions committed
 *   by other processes, applied here and forwarded to this process's subscribers
 * - `cosync_cluster_catch_ups_total{reason}` (`bus_reconnect`, `periodic`)
 */
export class ClusterMetrics {
  readonly busConnected: Gauge;
  readonly processes: Gauge;
  readonly busMessages: Counter<"direction">;
  readonly notices: Counter<"direction">;
  readonly busDropped: Counter;
  readonly busLag: Histogram;
  readonly refreshes: Counter<"outcome">;
  readonly delivered: Counter<"via">;
  readonly catchUps: Counter<"reason">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.busConnected = new Gauge({ name: "cosync_cluster_bus_connected", help: "1 while the cluster bus is connected", registers });
    this.processes = new Gauge({ name: "cosync_cluster_processes", help: "Server processes heard from on the bus recently, this one included", registers });
    this.busMessages = new Counter({ name: "cosync_cluster_bus_messages_total", help: "Cluster bus messages, by direction", labelNames: ["direction"], registers });
    this.notices = new Counter({ name: "cosync_cluster_notices_total", help: "Commit notices, by direction", labelNames: ["direction"], registers });
    this.busDropped = new Counter({ name: "cosync_cluster_bus_dropped_total", help: "Bus messages published while the bus was down", registers });
    this.busLag = new Histogram({
      name: "cosync_cluster_bus_lag_seconds",
      help: "From a commit in another process to its notice arriving here",
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.refreshes = new Counter({ name: "cosync_cluster_refreshes_total", help: "Values re-read from storage after a notice, by outcome", labelNames: ["outcome"], registers });
    this.delivered = new Counter({
      name: "cosync_cluster_delivered_transactions_total",
      help: "Transactions committed by other processes, applied here and forwarded to subscribers",
      labelNames: ["via"],
      registers,
    });
    this.catchUps = new Counter({ name: "cosync_cluster_catch_ups_total", help: "Sweeps comparing held values with storage, by reason", labelNames: ["reason"], registers });
  }
}
