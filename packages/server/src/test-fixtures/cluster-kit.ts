// Test fixtures for cluster tests (not exported, not built): client nodes on real WebSockets that
// can move between server processes, a private nats-server on a free port, and waiting helpers.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import type { LocalNode, PeerState } from "@cosync/core";
import { connectWebSocket, type WebSocketChannel } from "@cosync/transport-ws";
import { WebSocket } from "ws";

/** The shared NATS server of the test machine (.ci/run starts it). */
export const sharedNatsUrl = process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222";

/** Trusting changes of a value as a client node holds them, in its order. */
export function changesOf(node: LocalNode, id: string): unknown[] {
  const value = node.get(id as never);
  return value === undefined ? [] : [...value.transactions()].map((t) => (t.tx.privacy === "trusting" ? JSON.parse(t.tx.changes) : null));
}

/**
 * A client node's connection to one server process. Every connection of a client carries the same
 * peer id, so moving to another process resumes from the known states servers acknowledged.
 */
export class ClientLink implements AsyncDisposable {
  #channel: WebSocketChannel | undefined;
  #peer: PeerState | undefined;

  constructor(
    readonly node: LocalNode,
    readonly peerId = "cluster",
  ) {}

  async connect(url: string): Promise<void> {
    this.#channel?.close();
    this.#channel = await connectWebSocket({ url, WebSocket: WebSocket as never, peerId: this.peerId, pingTimeoutMs: 3_000 });
    this.#peer = this.node.syncManager.addPeer(this.#channel);
  }

  get peer(): PeerState | undefined {
    return this.#peer;
  }

  get channel(): WebSocketChannel | undefined {
    return this.#channel;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#channel?.close();
    await this.#channel?.closed;
  }
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const natsServerPaths = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];

/** The nats-server binary, if installed (tests that stop the bus need a private one). */
export function natsServerBinary(): string | undefined {
  return natsServerPaths.find((path) => existsSync(path));
}

/** A nats-server of this test alone, on a fixed port so it can be stopped and started again. */
export class PrivateNats implements AsyncDisposable {
  #process: ChildProcess | undefined;

  private constructor(
    readonly binary: string,
    readonly port: number,
  ) {}

  static async start(binary: string): Promise<PrivateNats> {
    const nats = new PrivateNats(binary, await freePort());
    await nats.start();
    return nats;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts the server and resolves once it accepts clients. */
  start(): Promise<void> {
    const child = spawn(this.binary, ["-a", "127.0.0.1", "-p", String(this.port)], { stdio: ["ignore", "pipe", "pipe"] });
    this.#process = child;
    return new Promise((resolve, reject) => {
      let output = "";
      const timer = setTimeout(() => reject(new Error(`nats-server did not start within 10 s:\n${output}`)), 10_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Server is ready")) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited with ${code}:\n${output}`));
      });
    });
  }

  /** Stops the server and resolves once it exited. */
  async stop(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
