import type { IncomingMessage } from "node:http";
import type { AuthenticateHook, AuthVerdict } from "./server-options.js";

/** How the operator's `authenticate` hook answered an upgrade request, within the time it had. */
export type AuthOutcome =
  | { readonly type: "Decided"; readonly verdict: AuthVerdict }
  | { readonly type: "Failed"; readonly error: unknown }
  | { readonly type: "TimedOut"; readonly timeoutMs: number };

/**
 * Runs the `authenticate` hook for one upgrade request, waiting at most `timeoutMs`.
 *
 * While the hook runs the request holds a connection slot and its socket, so a hook whose promise
 * never settles (a hung auth backend) must not hold them forever. A hook settling after the
 * timeout is ignored: its verdict is dropped and a late rejection is caught (never unhandled).
 * No hook admits every request.
 */
export async function authenticateUpgrade(
  hook: AuthenticateHook | undefined,
  request: IncomingMessage,
  timeoutMs: number,
): Promise<AuthOutcome> {
  if (hook === undefined) return { type: "Decided", verdict: { ok: true } };
  let answer: AuthVerdict | Promise<AuthVerdict>;
  try {
    answer = hook(request);
  } catch (error) {
    return { type: "Failed", error };
  }
  // A synchronous verdict needs no timer.
  if (!isPromiseLike(answer)) return decidedOrFailed(answer);
  const decided = Promise.resolve(answer).then(
    (verdict): AuthOutcome => decidedOrFailed(verdict),
    (error: unknown): AuthOutcome => ({ type: "Failed", error }),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<AuthOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ type: "TimedOut", timeoutMs }), timeoutMs);
  });
  try {
    return await Promise.race([decided, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** A hook returning something other than a verdict is a failure of the hook, not an admission. */
function decidedOrFailed(verdict: unknown): AuthOutcome {
  if (verdict !== null && typeof verdict === "object" && typeof (verdict as { ok?: unknown }).ok === "boolean") {
    return { type: "Decided", verdict: verdict as AuthVerdict };
  }
  return { type: "Failed", error: new TypeError(`authenticate: expected { ok: true } or { ok: false, reason }, got ${String(verdict)}`) };
}

function isPromiseLike(value: unknown): value is PromiseLike<AuthVerdict> {
  return value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function";
}
