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

/**
 * Max per session of both; header if either has it. `a` itself when `b` adds nothing to it, `b`
 * itself when `a` adds nothing to `b`: known states are never mutated, and sharing them lets peers
 * that hold the same state share one object (what a fan-out's memo matches first).
 */
export function combineKnownStates(a: KnownState, b: KnownState): KnownState {
  if (knownStateCovers(a, b)) return a;
  if (knownStateCovers(b, a)) return b;
  let sessions: Record<SessionId, number> | undefined;
  const theirs = b.sessions as Record<SessionId, number>;
  // for…in, not Object.entries: this runs for every ack and every forward, and known states are
  // plain records (parsed JSON or our own literals), with nothing inherited to enumerate.
  for (const sessionId in theirs) {
    const count = theirs[sessionId as SessionId] as number;
    if (count > ((sessions ?? a.sessions)[sessionId as SessionId] ?? 0)) {
      sessions ??= { ...a.sessions };
      sessions[sessionId as SessionId] = count;
    }
  }
  return { id: a.id, header: a.header || b.header, sessions: sessions ?? a.sessions };
}

/** True if `have` holds everything `want` describes. */
export function knownStateCovers(have: KnownState, want: KnownState): boolean {
  if (want.header && !have.header) return false;
  const wanted = want.sessions as Record<SessionId, number>;
  for (const sessionId in wanted) {
    if ((have.sessions[sessionId as SessionId] ?? 0) < (wanted[sessionId as SessionId] as number)) return false;
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
  const named = state.sessions as Record<SessionId, number>;
  if (held === undefined) return { id: state.id, header: state.header, sessions: {} };
  // Usually every session named is held (an ack of what we sent): its record is then kept as it
  // is (known states are never mutated) instead of copied.
  if (namesOnlyHeld(named, held)) return { id: state.id, header: state.header, sessions: named };
  const sessions: Record<SessionId, number> = {};
  for (const sessionId in named) {
    if (Object.hasOwn(named, sessionId) && held.has(sessionId as SessionId)) sessions[sessionId as SessionId] = named[sessionId as SessionId] as number;
  }
  return { id: state.id, header: state.header, sessions };
}

function namesOnlyHeld(named: Record<SessionId, number>, held: NonNullable<HeldSessions>): boolean {
  for (const sessionId in named) if (!Object.hasOwn(named, sessionId) || !held.has(sessionId as SessionId)) return false;
  return true;
}
