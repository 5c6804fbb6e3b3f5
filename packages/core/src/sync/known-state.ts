import type { CoId } from "../ids/co-id.js";
import type { SessionId } from "../ids/session-id.js";

/** Transaction counts per session. */
export type KnownSessions = Readonly<Record<SessionId, number>>;

/**
 * What a node holds (or believes a peer holds) of one CoValue: whether it has the header and how
 * many transactions of each session. Counts only grow.
 */
export interface KnownState {
  readonly id: CoId;
  readonly header: boolean;
  readonly sessions: KnownSessions;
}

export function emptyKnownState(id: CoId): KnownState {
  return { id, header: false, sessions: {} };
}

/** Max per session of both; header if either has it. */
export function combineKnownStates(a: KnownState, b: KnownState): KnownState {
  const sessions: Record<SessionId, number> = { ...a.sessions };
  for (const [sessionId, count] of Object.entries(b.sessions) as [SessionId, number][]) {
    if (count > (sessions[sessionId] ?? 0)) sessions[sessionId] = count;
  }
  return { id: a.id, header: a.header || b.header, sessions };
}

/** True if `have` holds everything `want` describes. */
export function knownStateCovers(have: KnownState, want: KnownState): boolean {
  if (want.header && !have.header) return false;
  for (const [sessionId, count] of Object.entries(want.sessions) as [SessionId, number][]) {
    if ((have.sessions[sessionId] ?? 0) < count) return false;
  }
  return true;
}

/** Sessions held here: a log's session map, or the sessions of a stored known state. */
export type HeldSessions = { has(sessionId: SessionId): boolean } | undefined;

/** The sessions a known state names, as `HeldSessions`. */
export function sessionsOf(state: KnownState | undefined): HeldSessions {
  return state === undefined ? undefined : new Set(Object.keys(state.sessions) as SessionId[]);
}

/**
 * `state` keeping only the sessions held here (none if nothing is): what a peer claims of sessions
 * we don't hold never decides what we send it, and a peer may claim any number of them.
 */
export function onlyHeldSessions(state: KnownState, held: HeldSessions): KnownState {
  const sessions: Record<SessionId, number> = {};
  if (held !== undefined) {
    for (const [sessionId, count] of Object.entries(state.sessions) as [SessionId, number][]) {
      if (held.has(sessionId)) sessions[sessionId] = count;
    }
  }
  return { id: state.id, header: state.header, sessions };
}
