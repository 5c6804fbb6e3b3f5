// The error banner: what the server refused (a quota, a ban, an invalid write) and writes our role
// does not allow (core throws a PermissionError at the call), shown until dismissed.
import { PermissionError, type SyncRefusal } from "@cosync/core";
import { useNode } from "@cosync/react";
import { SchemaError } from "@cosync/schema";
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";

interface ShownError {
  readonly key: number;
  readonly message: string;
}

const ReportContext = createContext<(error: unknown) => void>((error) => {
  throw error;
});

/** What the banner says about an error thrown by a write. */
export function describeError(error: unknown): string {
  if (error instanceof PermissionError) return `You can't do that here: ${error.message}`;
  if (error instanceof SchemaError) return `That doesn't fit: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** What the banner says about a server's refusal. */
export function describeRefusal(refusal: SyncRefusal): string {
  return `The sync server refused a change (${refusal.code}): ${refusal.message}`;
}

/** Hears the node's refusals and the errors components report, and shows them above `children`. */
export function ErrorBanner({ children }: { readonly children: ReactNode }): ReactNode {
  const node = useNode();
  const [errors, setErrors] = useState<readonly ShownError[]>([]);
  const show = useCallback((message: string) => {
    setErrors((shown) => (shown.some((error) => error.message === message) ? shown : [...shown, { key: Date.now() + Math.random(), message }]));
  }, []);
  const report = useCallback((error: unknown) => show(describeError(error)), [show]);
  useEffect(() => node.syncManager.onRefusal((refusal) => show(describeRefusal(refusal))), [node, show]);

  return (
    <ReportContext.Provider value={report}>
      {errors.length > 0 && (
        <div className="banner" role="alert" data-testid="error-banner">
          {errors.map((error) => (
            <p key={error.key}>
              <span>{error.message}</span>
              <button type="button" className="link" onClick={() => setErrors((shown) => shown.filter((other) => other !== error))}>
                Dismiss
              </button>
            </p>
          ))}
        </div>
      )}
      {children}
    </ReportContext.Provider>
  );
}

/** Runs a write, and shows what it throws (a PermissionError, a SchemaError) in the banner. */
export function useWrite(): (write: () => void | Promise<void>) => void {
  const report = useContext(ReportContext);
  return useMemo(
    () => (write: () => void | Promise<void>) => {
      try {
        const pending = write();
        if (pending instanceof Promise) pending.catch(report);
      } catch (error) {
        report(error);
      }
    },
    [report],
  );
}
