// A lazy, memoising `KeyLookup` over raw group inputs: evaluates each group the first time it
// is asked for, reaching parents through itself. For tests and for a LocalNode that keeps
// inputs rather than states; throw it away when any input changes.

import type { AgentId } from "../ids/agent-id.js";
import type { CoId } from "../ids/co-id.js";
import { evaluateGroup, type GroupInput } from "./evaluate.js";
import type { GroupState } from "./group-state.js";
import type { KeyLookup } from "./key-access.js";

export interface GroupSources {
  /** The group or account with this id, if loaded. */
  group(id: CoId): GroupInput | undefined;
  /** The agent of an account (its header's `initialAdmin`), if loaded. */
  accountAgent(id: CoId): AgentId | undefined;
}

/**
 * Evaluates groups on demand. A group asked for while it is itself being evaluated (a parent
 * cycle made by concurrent `extend`s) is reported as not loaded, so the link that closes the cycle
 * is refused: the group evaluated first keeps its link. (cojson's verdict on such cycles depends
 * on which group each node happened to build first; see the permissions tests.)
 */
export function createGroupResolver(sources: GroupSources): KeyLookup {
  const states = new Map<CoId, GroupState>();
  const evaluating = new Set<CoId>();
  const lookup: KeyLookup = {
    group(id) {
      const known = states.get(id);
      if (known !== undefined) return known;
      if (evaluating.has(id)) return undefined;
      const input = sources.group(id);
      if (input === undefined) return undefined;
      evaluating.add(id);
      try {
        const state = evaluateGroup(input, lookup);
        states.set(id, state);
        return state;
      } finally {
        evaluating.delete(id);
      }
    },
    accountAgent: (id) => sources.accountAgent(id),
  };
  return lookup;
}
