import { LogVersion } from "../log/log-version.js";
import type { VerifiedLog } from "../log/verified-log.js";
import type { ContentMessage } from "../protocol/messages.js";

/**
 * Everything of a value, as content messages for a peer that knows nothing of it: what every load
 * of a value not held yet is answered with. The same message objects are handed out while the
 * value is unchanged, so a transport that serialises each message object once (transport-ws does)
 * answers a warm load without building or encoding anything again.
 *
 * Bounded for the whole process by the size of what is cached as it goes on the wire (the encoded
 * text a transport keeps for these messages is that large again), oldest first out; a value
 * dropped from memory drops out with it (the cache holds its log weakly).
 */
const MAX_CACHED_BYTES = 16 * 1024 * 1024;
/** What an entry costs at least, however small its value: its bookkeeping and message objects. */
const MIN_ENTRY_BYTES = 1024;

interface Cached {
  readonly version: LogVersion;
  readonly messages: ContentMessage[];
  readonly bytes: number;
  readonly ref: WeakRef<VerifiedLog>;
}

const cached = new WeakMap<VerifiedLog, Cached>();
/** Oldest first: each cached log and the bytes it holds. */
const age = new Map<WeakRef<VerifiedLog>, number>();
let cachedBytes = 0;
// A log collected while cached takes its bookkeeping with it.
const collected = new FinalizationRegistry<WeakRef<VerifiedLog>>((ref) => forget(ref));

export function fullContentOf(log: VerifiedLog): ContentMessage[] {
  const hit = cached.get(log);
  if (hit?.version.matches(log) === true) return hit.messages;
  if (hit !== undefined) forget(hit.ref);
  const messages = log.contentSince(undefined);
  const bytes = wireSize(log);
  if (bytes > MAX_CACHED_BYTES / 4) return messages; // one value must not push out everything else
  const ref = new WeakRef(log);
  cached.set(log, { version: new LogVersion(log), messages, bytes, ref });
  collected.register(log, ref, ref);
  age.set(ref, bytes);
  cachedBytes += bytes;
  while (cachedBytes > MAX_CACHED_BYTES) {
    const oldest = age.keys().next();
    if (oldest.done === true) break;
    forget(oldest.value);
  }
  return messages;
}

function forget(ref: WeakRef<VerifiedLog>): void {
  cachedBytes -= age.get(ref) ?? 0;
  age.delete(ref);
  collected.unregister(ref);
  const log = ref.deref();
  if (log !== undefined) cached.delete(log);
}

/** The size of a log's full content on the wire, near enough: its text, sessions and header. */
function wireSize(log: VerifiedLog): number {
  let bytes = MIN_ENTRY_BYTES + JSON.stringify(log.header).length;
  for (const [sessionId, session] of log.sessions) bytes += session.textSize(0, session.signedCount) + sessionId.length + 200;
  return bytes;
}

/** What the cache holds now (for tests and metrics). */
export function fullContentCacheSize(): { readonly entries: number; readonly bytes: number } {
  return { entries: age.size, bytes: cachedBytes };
}
