// Message traces (Jazz's best testing idea, instance-scoped): every message a wrapped channel
// sends is recorded as one readable line, so tests can assert exact protocol sequences.
import type { OutgoingMessage, PeerChannel } from "@cosync/core";

export interface MessageTrace {
  /** Wraps `channel` (owned by node `local`) so its sends are recorded as `local -> remote`. */
  wrap<C extends PeerChannel>(channel: C, local: string, remote: string): C;
  /** The recorded lines, with CoValue ids replaced by the given names. Unnamed ids are skipped. */
  lines(names: Record<string, string>): string[];
  clear(): void;
}

function sessionsText(sessions: Record<string, number>): string {
  const counts = Object.values(sessions);
  return counts.length === 0 ? "none" : counts.join(",");
}

function describe(message: OutgoingMessage, name: string): string {
  if (!("action" in message)) return `error   ${name} ${message.error.code}`;
  switch (message.action) {
    case "load":
      return `load    ${name} ${message.header ? "header" : "no header"} ${sessionsText(message.sessions)}`;
    case "known":
      return `known   ${name} ${message.header ? "header" : "no header"} ${sessionsText(message.sessions)}${message.isCorrection ? " correction" : ""}`;
    case "content": {
      const pieces = Object.values(message.new).map((p) => `${p.after}+${p.newTransactions.length}`);
      const target = message.expectContentUntil ? ` until ${sessionsText(message.expectContentUntil)}` : "";
      return `content ${name}${message.header ? " header" : ""} ${pieces.join(",") || "empty"} p${message.priority}${target}`;
    }
    case "done":
      return `done    ${name}`;
    default:
      return message.action;
  }
}

export function createMessageTrace(): MessageTrace {
  const records: Array<{ line: (names: Record<string, string>) => string | undefined }> = [];
  return {
    wrap(channel, local, remote) {
      // Delegate explicitly: channels keep private state, so a prototype trick would break them.
      const wrapped: PeerChannel = {
        get peerId() { return channel.peerId; },
        get role() { return channel.role; },
        get persistent() { return channel.persistent; },
        get acceptsErrorNotices() { return channel.acceptsErrorNotices; },
        get closed() { return channel.closed; },
        onMessage: (listener) => channel.onMessage(listener),
        close: (reason) => channel.close(reason),
        send: (message: OutgoingMessage) => {
          const id = "action" in message ? message.id : message.error.id;
          records.push({
            line: (names) => {
              const name = id === undefined ? "-" : names[id];
              return name === undefined ? undefined : `${local} -> ${remote} | ${describe(message, name)}`;
            },
          });
          channel.send(message);
        },
      };
      return wrapped as typeof channel;
    },
    lines(names) {
      return records.map((r) => r.line(names)).filter((line): line is string => line !== undefined);
    },
    clear() {
      records.length = 0;
    },
  };
}
