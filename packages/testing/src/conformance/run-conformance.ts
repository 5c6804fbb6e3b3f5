// The wire conformance runner: replays the protocol's required behaviours against a running sync
// server at a ws:// URL and reports, per case, pass or fail with what was expected and seen.
// Extensions are discovered at GET /protocol (cosync answers {"name","version","extensions"}; a
// server without the route — cojson's — is checked against the base protocol only).
import type { CryptoProvider } from "@cosync/core";
import { CaseFailure, type CaseContext, type ConformanceCase, conformanceCases } from "./cases.js";
import { type ConformanceSocketConstructor, WireConnection } from "./wire-connection.js";

export interface ConformanceOptions {
  /** `ws://host:port` of the server under test. */
  readonly url: string;
  /** Browser-style WebSocket constructor (Node 20: `ws`'s `WebSocket`). */
  readonly WebSocket: ConformanceSocketConstructor;
  /** Signs the content the cases send (cosync: `loadNodeCryptoProvider()` from @cosync/crypto). */
  readonly crypto: CryptoProvider;
  /** Per answer. Default 5,000 ms. */
  readonly timeoutMs?: number;
  /** Only the cases whose name includes this. */
  readonly filter?: string;
  /** Extensions to check regardless of what the server announces. */
  readonly extensions?: readonly string[];
  readonly cases?: readonly ConformanceCase[];
}

export type CaseResult =
  | { readonly name: string; readonly status: "pass"; readonly ms: number }
  | { readonly name: string; readonly status: "fail"; readonly ms: number; readonly expected: string; readonly seen: string }
  | { readonly name: string; readonly status: "skip"; readonly reason: string };

export interface ConformanceReport {
  readonly url: string;
  readonly extensions: readonly string[];
  readonly results: readonly CaseResult[];
  readonly passed: boolean;
}

/** What the server announces at GET /protocol; none if it has no such route. */
export async function discoverExtensions(url: string): Promise<string[]> {
  const httpUrl = `${url.replace(/^ws/i, "http").replace(/\/+$/, "")}/protocol`;
  try {
    const response = await fetch(httpUrl, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) return [];
    const body = (await response.json()) as { extensions?: unknown };
    return Array.isArray(body.extensions) ? body.extensions.filter((e): e is string => typeof e === "string") : [];
  } catch {
    return [];
  }
}

export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const extensions = options.extensions ?? (await discoverExtensions(options.url));
  const results: CaseResult[] = [];
  for (const testCase of options.cases ?? conformanceCases) {
    if (options.filter !== undefined && !testCase.name.includes(options.filter)) continue;
    if (testCase.extension !== undefined && !extensions.includes(testCase.extension)) {
      results.push({ name: testCase.name, status: "skip", reason: `the server does not announce ${testCase.extension}` });
      continue;
    }
    const connections: WireConnection[] = [];
    const ctx: CaseContext = {
      url: options.url,
      WebSocket: options.WebSocket,
      crypto: options.crypto,
      extensions: new Set(extensions),
      timeoutMs,
      async connect() {
        const connection = await WireConnection.open(options.url, options.WebSocket, timeoutMs);
        connections.push(connection);
        return connection;
      },
    };
    const started = performance.now();
    try {
      await testCase.run(ctx);
      results.push({ name: testCase.name, status: "pass", ms: performance.now() - started });
    } catch (error) {
      const failure = error instanceof CaseFailure ? error : new CaseFailure("the case to run", error instanceof Error ? error.message : String(error));
      results.push({ name: testCase.name, status: "fail", ms: performance.now() - started, expected: failure.expected, seen: failure.seen });
    } finally {
      for (const connection of connections) connection.close();
    }
  }
  return { url: options.url, extensions, results, passed: results.every((result) => result.status !== "fail") };
}

/** The report as lines: one per case (PASS/FAIL/SKIP), failures with expected and seen, then a summary. */
export function formatConformanceReport(report: ConformanceReport): string {
  const lines = [`conformance of ${report.url} (extensions: ${report.extensions.length === 0 ? "none announced" : report.extensions.join(", ")})`];
  for (const result of report.results) {
    if (result.status === "skip") lines.push(`SKIP ${result.name} — ${result.reason}`);
    else if (result.status === "pass") lines.push(`PASS ${result.name} (${Math.round(result.ms)} ms)`);
    else lines.push(`FAIL ${result.name}\n     expected: ${result.expected}\n     seen:     ${result.seen}`);
  }
  const count = (status: CaseResult["status"]) => report.results.filter((result) => result.status === status).length;
  lines.push(`${count("pass")} passed, ${count("fail")} failed, ${count("skip")} skipped`);
  return lines.join("\n");
}
