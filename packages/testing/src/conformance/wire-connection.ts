// A raw protocol connection for the conformance runner: sends entries as frames, splits what
// arrives into entries (sync messages, pings, notices) and waits for entries by predicate, each
// wait bounded. The WebSocket constructor is the caller's (browser-style API: `ws` in Node).

/** The part of a browser-style WebSocket the runner uses (`ws`'s WebSocket has it). */
export interface ConformanceSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "close" | "error" | "message", listener: (event: { readonly data?: unknown; readonly code?: number }) => void): void;
}

export type ConformanceSocketConstructor = new (url: string) => ConformanceSocket;

/** One received entry: a parsed JSON object (sync message, ping or notice). */
export type WireEntry = Readonly<Record<string, unknown>>;

export class WireConnection {
  readonly entries: WireEntry[] = [];
  readonly pings: WireEntry[] = [];
  readonly #socket: ConformanceSocket;
  readonly #waiters = new Set<() => void>();
  #closed = false;

  private constructor(socket: ConformanceSocket) {
    this.#socket = socket;
    socket.addEventListener("message", (event) => {
      if (typeof event.data !== "string") return;
      for (const line of event.data.split("\n")) {
        let entry: unknown;
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        if (entry === null || typeof entry !== "object" || Array.isArray(entry)) continue;
        const record = entry as WireEntry;
        if (!("action" in record) && "time" in record) this.pings.push(record);
        else this.entries.push(record);
      }
      for (const wake of [...this.#waiters]) wake();
    });
    socket.addEventListener("close", () => {
      this.#closed = true;
      for (const wake of [...this.#waiters]) wake();
    });
  }

  static open(url: string, WebSocket: ConformanceSocketConstructor, timeoutMs: number): Promise<WireConnection> {
    const socket = new WebSocket(url);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.close();
        reject(new Error(`could not connect to ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.addEventListener("open", () => {
        clearTimeout(timer);
        resolve(new WireConnection(socket));
      });
      socket.addEventListener("error", () => {
        clearTimeout(timer);
        reject(new Error(`could not connect to ${url}`));
      });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends the values as one frame (compact JSON joined by "\n"). */
  send(...values: unknown[]): void {
    this.#socket.send(values.map((value) => JSON.stringify(value)).join("\n"));
  }

  /** The first received entry matching, waiting up to `timeoutMs`; undefined if none came. */
  waitFor(match: (entry: WireEntry) => boolean, timeoutMs: number, from = 0): Promise<WireEntry | undefined> {
    return this.until(() => this.entries.slice(from).find(match), timeoutMs);
  }

  /** Waits until `check` returns something (re-checked on every frame), or `timeoutMs` passes. */
  until<T>(check: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const now = check();
    if (now !== undefined || this.#closed) return Promise.resolve(now);
    return new Promise((resolve) => {
      const done = (value: T | undefined) => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve(value);
      };
      const wake = () => {
        const value = check();
        if (value !== undefined || this.#closed) done(value);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.#waiters.add(wake);
    });
  }

  close(): void {
    if (!this.#closed) this.#socket.close(1000, "conformance case done");
  }
}
