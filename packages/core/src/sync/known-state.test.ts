import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import type { CoId } from "../ids/co-id.js";
import type { SessionId } from "../ids/session-id.js";
import { combineKnownStates, type KnownState, knownStateCovers, onlyHeldSessions } from "./known-state.js";

const id = "co_zTest" as CoId;
const sessionIds = ["s_a", "s_b", "s_c", "s_d"] as SessionId[];
const knownState = fc
  .record({ header: fc.boolean(), sessions: fc.dictionary(fc.constantFrom(...sessionIds), fc.nat(20)) })
  .map((state): KnownState => ({ id, ...state }));

/** The merge spelled out: max per session, header if either has it. */
function naiveCombine(a: KnownState, b: KnownState): KnownState {
  const sessions: Record<string, number> = { ...a.sessions };
  for (const [session, count] of Object.entries(b.sessions)) sessions[session] = Math.max(sessions[session] ?? 0, count);
  return { id, header: a.header || b.header, sessions };
}

const sameState = (x: KnownState, y: KnownState) => knownStateCovers(x, y) && knownStateCovers(y, x) && x.header === y.header;

test.prop([knownState, knownState])("combineKnownStates: the max per session, and `a` or `b` itself whenever one covers the other", (a, b) => {
  const aBefore = structuredClone(a);
  const bBefore = structuredClone(b);
  const combined = combineKnownStates(a, b);
  expect(sameState(combined, naiveCombine(a, b))).toBe(true);
  if (knownStateCovers(a, b)) expect(combined).toBe(a);
  else if (knownStateCovers(b, a)) expect(combined).toBe(b);
  else expect(combined !== a && combined !== b).toBe(true);
  // Neither input is touched: states are shared between peers.
  expect(a).toEqual(aBefore);
  expect(b).toEqual(bBefore);
});

test("onlyHeldSessions: keeps a record naming only held sessions as it is, copies without the others", () => {
  const held = new Set(["s_a", "s_b"]) as Set<SessionId>;
  const ack = { id, header: true, sessions: { s_a: 3, s_b: 1 } as Record<SessionId, number> };
  expect(onlyHeldSessions(ack, held).sessions).toBe(ack.sessions);
  const claim = JSON.parse('{"s_a": 3, "s_x": 9, "__proto__": {"s_b": 5}, "s_b": 2}') as Record<SessionId, number>;
  const kept = onlyHeldSessions({ id, header: false, sessions: claim }, held);
  expect(kept.sessions).toEqual({ s_a: 3, s_b: 2 });
  expect(Object.getPrototypeOf(kept.sessions)).toBe(Object.prototype);
  expect(onlyHeldSessions(ack, undefined).sessions).toEqual({});
});
