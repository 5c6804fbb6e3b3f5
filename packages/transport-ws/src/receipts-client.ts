// Fetching what a sync server vouches for over plain HTTP beside its WebSocket: its signing key
// and durability receipts. Verify what comes back with core's `verifyReceipt`.
import type { CoId, DurabilityReceipt, SignerId } from "@cosync/core";

export interface ReceiptRequestOptions {
  /** The server's WebSocket URL (ws:// or wss://), as given to the connection. */
  readonly url: string;
  /** An auth token (`mintAuthToken`), for servers that require one. */
  readonly token?: string;
  /** Default: the global fetch. */
  readonly fetch?: typeof fetch;
}

/** The server's HTTP base for a WebSocket URL: ws → http, wss → https, same host. */
function httpBase(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") throw new TypeError(`url: expected ws:// or wss://, got ${parsed.protocol}`);
  return `${parsed.protocol === "wss:" ? "https:" : "http:"}//${parsed.host}`;
}

async function getJson(options: ReceiptRequestOptions, path: string): Promise<unknown> {
  const target = new URL(path, httpBase(options.url));
  if (options.token !== undefined) target.searchParams.set("auth", options.token);
  const response = await (options.fetch ?? fetch)(target);
  const body = (await response.json().catch(() => undefined)) as { error?: unknown } | undefined;
  if (!response.ok) throw new Error(`${target.pathname}: the server answered ${response.status}${typeof body?.error === "string" ? `: ${body.error}` : ""}`);
  return body;
}

/** The signer id the server signs receipts with. Pin it: a receipt proves something only under a key you trust. */
export async function fetchServerKey(options: ReceiptRequestOptions): Promise<SignerId> {
  const body = (await getJson(options, "/.well-known/cosync-server-key")) as { signer?: unknown };
  if (typeof body?.signer !== "string" || !body.signer.startsWith("signer_z")) throw new Error("the server published no signer id");
  return body.signer as SignerId;
}

/** A receipt for the state of `id` the server holds durably now (unverified: check it with `verifyReceipt`). */
export async function fetchReceipt(options: ReceiptRequestOptions & { readonly id: CoId }): Promise<DurabilityReceipt> {
  return (await getJson(options, `/receipts/${encodeURIComponent(options.id)}`)) as DurabilityReceipt;
}
