// cojson 0.20's group rules, one by one, on hand-written group logs (no crypto needed: the evaluator
// reads only authors, times and changes).
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import type { DecodedTransaction } from "../covalues/decoded-transaction.js";
import type { CoValueHeader } from "../covalues/header.js";
import type { JsonValue } from "../encoding/canonical-json.js";
import type { AgentId } from "../ids/agent-id.js";
import type { CoId } from "../ids/co-id.js";
import type { SessionId, SessionOwner } from "../ids/session-id.js";
import { evaluateGroup, groupDependencies, type GroupInput } from "./evaluate.js";
import { type GroupLookup, type GroupState, roleOf } from "./group-state.js";
import { createGroupResolver } from "./resolver.js";

const alice = "co_zAlice" as CoId;
const bob = "co_zBob" as CoId;
const carol = "co_zCarol" as CoId;
const dave = "co_zDave" as CoId;
const agent = "sealer_zAgent/signer_zAgent" as AgentId;

type Step = readonly [author: SessionOwner, madeAt: number, key: string, value: JsonValue];

/** A group log: each step one trusting `set` in its author's session, indices in step order. */
function groupLog(id: CoId, initialAdmin: CoId | AgentId, steps: readonly (Step | DecodedTransaction)[], meta: CoValueHeader["meta"] = null): GroupInput {
  const counts = new Map<string, number>();
  const transactions = steps.map((step): DecodedTransaction => {
    if (!Array.isArray(step)) return step as DecodedTransaction;
    const [author, madeAt, key, value] = step as Step;
    const sessionID = `${author}_session_zTest` as SessionId;
    const txIndex = counts.get(sessionID) ?? 0;
    counts.set(sessionID, txIndex + 1);
    return { txId: { sessionID, txIndex }, author, madeAt, changes: [{ op: "set", key, value }], privacy: "trusting" };
  });
  return { id, header: { type: "comap", ruleset: { type: "group", initialAdmin }, meta, uniqueness: id }, transactions };
}

const noGroups: GroupLookup = { group: () => undefined };

/** Validity of each step, in the order written. */
function validity(state: GroupState, input: GroupInput): boolean[] {
  return input.transactions.map((tx) => {
    const verdict = state.verdicts.find((v) => v.txId.sessionID === tx.txId.sessionID && v.txId.txIndex === tx.txId.txIndex);
    return verdict?.valid ?? false;
  });
}

function evaluate(steps: readonly Step[], lookup = noGroups, id = "co_zGroup" as CoId): { state: GroupState; valid: boolean[] } {
  const input = groupLog(id, alice, steps);
  const state = evaluateGroup(input, lookup);
  return { state, valid: validity(state, input) };
}

const created: Step[] = [
  [alice, 1, alice, "admin"],
  [alice, 1, "key_zK1_for_co_zAlice", "sealed_U…"],
  [alice, 1, "readKey", "key_zK1"],
  [alice, 1, "groupSealer", "key_zK1@sealer_zS1"],
];

describe("creating a group", () => {
  test("evaluate: the initial admin's first self-promotion and creation keys are valid", () => {
    expect(evaluate(created).valid).toEqual([true, true, true, true]);
  });

  test("evaluate: anyone else promoting themselves to admin is invalid", () => {
    expect(evaluate([...created, [bob, 2, bob, "admin"]]).valid[4]).toBe(false);
  });

  test("evaluate: without the self-promotion the creator's other changes are invalid", () => {
    expect(evaluate(created.slice(1)).valid).toEqual([false, false, false]);
  });
});

describe("role changes", () => {
  const withManager: Step[] = [...created, [alice, 2, bob, "manager"], [alice, 2, carol, "admin"]];

  test("evaluate: managers can't touch admins nor grant admin, adminInvite or managerInvite", () => {
    const { valid } = evaluate([
      ...withManager,
      [bob, 3, carol, "reader"],
      [bob, 3, dave, "admin"],
      [bob, 3, "sealer_zInvite/signer_zInvite", "adminInvite"],
      [bob, 3, "sealer_zInvite2/signer_zInvite2", "managerInvite"],
      [bob, 3, dave, "manager"],
      [bob, 3, "sealer_zInvite3/signer_zInvite3", "writerInvite"],
    ]);
    expect(valid.slice(6)).toEqual([false, false, false, false, true, true]);
  });

  test("evaluate: admins can't demote other admins, but may demote themselves and promote anyone", () => {
    const { valid } = evaluate([
      ...withManager,
      [carol, 3, alice, "writer"],
      [carol, 3, bob, "admin"],
      [carol, 4, carol, "reader"],
    ]);
    expect(valid.slice(6)).toEqual([false, true, true]);
  });

  test("evaluate: revoking oneself is always allowed, even without any role", () => {
    const { valid } = evaluate([...created, [alice, 2, bob, "reader"], [bob, 3, bob, "revoked"], [dave, 3, dave, "revoked"]]);
    expect(valid.slice(4)).toEqual([true, true, true]);
  });

  test("evaluate: readers, writers and writeOnly members can't change roles", () => {
    const { valid } = evaluate([
      ...created,
      [alice, 2, bob, "reader"],
      [alice, 2, carol, "writer"],
      [alice, 2, dave, "writeOnly"],
      [bob, 3, "co_zEve", "reader"],
      [carol, 3, "co_zEve", "reader"],
      [dave, 3, "co_zEve", "writeOnly"],
    ]);
    expect(valid.slice(7)).toEqual([false, false, false]);
  });

  test("evaluate: everyone may only be reader, writer, writeOnly or revoked", () => {
    const roles = ["reader", "writer", "writeOnly", "revoked", "admin", "manager", "readerInvite"];
    const { valid } = evaluate([...created, ...roles.map((role): Step => [alice, 2, "everyone", role])]);
    expect(valid.slice(4)).toEqual([true, true, true, true, false, false, false]);
  });

  test("evaluate: a value that is not a role is invalid", () => {
    expect(evaluate([...created, [alice, 2, bob, "owner"], [alice, 2, bob, 3]]).valid.slice(4)).toEqual([false, false]);
  });

  test("evaluate: each invite role may only set its matching role, for anyone (even over an admin)", () => {
    const invites: Array<[string, string]> = [
      ["readerInvite", "reader"],
      ["writerInvite", "writer"],
      ["writeOnlyInvite", "writeOnly"],
      ["managerInvite", "manager"],
      ["adminInvite", "admin"],
    ];
    for (const [invite, granted] of invites) {
      const inviteAgent = `sealer_z${invite}/signer_z${invite}` as AgentId;
      const { valid } = evaluate([
        ...created,
        [alice, 2, inviteAgent, invite],
        [inviteAgent, 3, bob, granted],
        [inviteAgent, 3, carol, granted === "reader" ? "writer" : "reader"],
        [inviteAgent, 3, alice, granted],
      ]);
      expect(valid.slice(4), invite).toEqual([true, true, false, true]);
    }
  });

  test("evaluate: transactions take effect in madeAt order, not in the order they were written", () => {
    // Bob's edit at t=5 comes before his promotion at t=10 even though it sits later in the input.
    const { valid } = evaluate([...created, [alice, 10, bob, "admin"], [bob, 5, carol, "writer"], [bob, 15, dave, "writer"]]);
    expect(valid.slice(4)).toEqual([true, false, true]);
  });

  test("evaluate: a demotion made before a change (by madeAt) invalidates it", () => {
    const { valid } = evaluate([...created, [alice, 2, bob, "manager"], [bob, 20, carol, "reader"], [alice, 10, bob, "reader"]]);
    expect(valid.slice(4)).toEqual([true, false, true]);
  });
});

describe("keys, parents and other fields", () => {
  test("evaluate: readKey, groupSealer, profile, root and parent_* need admin or manager", () => {
    const parent = evaluateGroup(groupLog("co_zParent" as CoId, alice, created), noGroups);
    const lookup: GroupLookup = { group: (id) => (id === parent.id ? parent : undefined) };
    const fields: Array<[string, JsonValue]> = [
      ["readKey", "key_zK2"],
      ["groupSealer", "key_zK2@sealer_zS2"],
      ["profile", "co_zProfile"],
      ["root", "co_zRoot"],
      ["parent_co_zParent", "extend"],
    ];
    for (const [role, allowed] of [["writer", false], ["manager", true], ["admin", true]] as const) {
      const { valid } = evaluate([...created, [alice, 2, bob, role], ...fields.map(([key, value]): Step => [bob, 3, key, value])], lookup);
      expect(valid.slice(5), role).toEqual(fields.map(() => allowed));
    }
  });

  test("evaluate: key reveals need admin, manager, an invite role or the revealer's own write key", () => {
    const inviteAgent = "sealer_zInv/signer_zInv" as AgentId;
    const { valid } = evaluate([
      ...created,
      [alice, 2, bob, "writer"],
      [alice, 2, carol, "writeOnly"],
      [alice, 2, "writeKeyFor_co_zCarol", "key_zW1"],
      [alice, 2, inviteAgent, "readerInvite"],
      [bob, 3, "key_zK1_for_co_zDave", "sealed_U…"],
      [carol, 3, "key_zW1_for_co_zCarol", "sealed_U…"],
      [carol, 3, "key_zK1_for_co_zCarol", "sealed_U…"],
      [carol, 3, "key_zW1_sealedFor_sealer_zP", "sealedForGroup_U…"],
      [inviteAgent, 3, "key_zK1_for_co_zDave", "sealed_U…"],
      [alice, 3, "key_zK1_for_key_zK2", "encrypted_U…"],
      [alice, 3, "key_zK1_for_everyone", "keySecret_z…"],
    ]);
    expect(valid.slice(8)).toEqual([false, true, false, true, true, true, true]);
  });

  test("evaluate: write keys are set by admins, managers, writeOnly invites or the member; invites can't override", () => {
    const invite = "sealer_zInv/signer_zInv" as AgentId;
    const { valid } = evaluate([
      ...created,
      [alice, 2, invite, "writeOnlyInvite"],
      [alice, 2, bob, "writer"],
      [invite, 3, "writeKeyFor_co_zCarol", "key_zW1"],
      [invite, 4, "writeKeyFor_co_zCarol", "key_zW2"],
      [bob, 4, "writeKeyFor_co_zDave", "key_zW3"],
      [dave, 4, "writeKeyFor_co_zDave", "key_zW4"],
      [alice, 5, "writeKeyFor_co_zCarol", "key_zW5"],
    ]);
    expect(valid.slice(6)).toEqual([true, false, false, true, true]);
  });

  test("evaluate: a refused write-key override still counts as the member's own key (cojson records it first)", () => {
    const invite = "sealer_zInv/signer_zInv" as AgentId;
    const { valid } = evaluate([
      ...created,
      [alice, 2, invite, "writeOnlyInvite"],
      [alice, 2, "writeKeyFor_co_zBob", "key_zW1"],
      [bob, 3, "writeKeyFor_co_zBob", "key_zW2"],
      [bob, 4, "key_zW2_for_co_zBob", "sealed_U…"],
    ]);
    expect(valid.slice(5)).toEqual([true, false, true]);
  });

  test("evaluate: private transactions are invalid in groups; in accounts only the admin's are valid", () => {
    const privateTx = (author: SessionOwner, txIndex: number): DecodedTransaction => ({
      txId: { sessionID: `${author}_session_zTest` as SessionId, txIndex },
      author,
      madeAt: 5,
      changes: [{ op: "set", key: "root", value: "co_zRoot" }],
      privacy: "private",
    });
    const group = groupLog("co_zGroup" as CoId, alice, [...created, privateTx(alice, 4)]);
    expect(validity(evaluateGroup(group, noGroups), group)[4]).toBe(false);

    const account = groupLog(
      "co_zAccount" as CoId,
      agent,
      [[agent, 1, agent, "admin"], [agent, 1, "readKey", "key_zK1"], privateTx(agent, 2), privateTx(bob, 0)],
      { type: "account" },
    );
    const state = evaluateGroup(account, noGroups);
    expect(validity(state, account)).toEqual([true, true, true, false]);
    expect(roleOf(state, "co_zAccount", noGroups)).toBe("admin");
  });

  test("evaluate: a transaction with several changes, a del, or a legacy child_ link is invalid", () => {
    const base = { txId: { sessionID: `${alice}_session_zTest` as SessionId, txIndex: 4 }, author: alice, madeAt: 2, privacy: "trusting" as const };
    const two: DecodedTransaction = { ...base, changes: [{ op: "set", key: bob, value: "reader" }, { op: "set", key: carol, value: "reader" }] };
    const del: DecodedTransaction = { ...base, txId: { ...base.txId, txIndex: 5 }, changes: [{ op: "del", key: bob }] };
    const input = groupLog("co_zGroup" as CoId, alice, [...created, two, del, [alice, 3, "child_co_zChild", "extend"]]);
    expect(validity(evaluateGroup(input, noGroups), input).slice(4)).toEqual([false, false, false]);
  });

  test("groupDependencies: parents and account members", () => {
    const input = groupLog("co_zGroup" as CoId, alice, [...created, [alice, 2, bob, "reader"], [alice, 2, "parent_co_zParent", "extend"]]);
    expect([...groupDependencies(input.transactions)].sort()).toEqual([alice, bob, "co_zParent"].sort());
  });
});

describe("roles over time and inheritance", () => {
  function family(parentSteps: readonly Step[], childSteps: readonly Step[]) {
    const inputs = new Map<CoId, GroupInput>([
      ["co_zParent" as CoId, groupLog("co_zParent" as CoId, alice, [...created, ...parentSteps])],
      ["co_zChild" as CoId, groupLog("co_zChild" as CoId, alice, [...created, ...childSteps])],
    ]);
    const lookup = createGroupResolver({ group: (id) => inputs.get(id), accountAgent: () => undefined });
    const child = lookup.group("co_zChild" as CoId) as GroupState;
    const input = inputs.get("co_zChild" as CoId) as GroupInput;
    return { child, lookup, valid: validity(child, input).slice(4) };
  }

  test("roleOf: a removed member had its role before the removal and none after; everyone fills in", () => {
    const { state } = evaluate([...created, [alice, 10, bob, "writer"], [alice, 20, bob, "revoked"], [alice, 30, "everyone", "reader"]]);
    expect([5, 10, 15, 20, 25, 30, undefined].map((time) => roleOf(state, bob, noGroups, time))).toEqual([
      undefined,
      "writer",
      "writer",
      undefined,
      undefined,
      "reader",
      "reader",
    ]);
  });

  test("roleOf: parent members get their parent role, or the mapped role, when it is higher", () => {
    const { child, lookup } = family(
      [[alice, 2, bob, "writer"], [alice, 2, carol, "admin"], [alice, 2, dave, "reader"]],
      [[alice, 3, "parent_co_zParent", "extend"], [alice, 3, dave, "writer"]],
    );
    expect([bob, carol, dave].map((member) => roleOf(child, member, lookup))).toEqual(["writer", "admin", "writer"]);

    const mapped = family([[alice, 2, bob, "admin"], [alice, 2, carol, "reader"]], [[alice, 3, "parent_co_zParent", "reader"]]);
    expect([bob, carol].map((member) => roleOf(mapped.child, member, mapped.lookup))).toEqual(["reader", "reader"]);
  });

  test("roleOf: writeOnly is never inherited, and a parent writer outranks a direct writeOnly", () => {
    const { child, lookup } = family(
      [[alice, 2, bob, "writeOnly"], [alice, 2, carol, "writer"]],
      [[alice, 3, "parent_co_zParent", "extend"], [alice, 3, carol, "writeOnly"]],
    );
    expect(roleOf(child, bob, lookup)).toBeUndefined();
    expect(roleOf(child, carol, lookup)).toBe("writer");
  });

  test("evaluate: inherited roles count as of each transaction's time; a revoked link stops them", () => {
    const { valid } = family(
      [[alice, 20, bob, "admin"]],
      [
        [alice, 10, "parent_co_zParent", "extend"],
        [bob, 15, carol, "reader"],
        [bob, 25, carol, "writer"],
        [alice, 30, "parent_co_zParent", "revoked"],
        [bob, 35, carol, "reader"],
      ],
    );
    expect(valid).toEqual([true, false, true, true, false]);
  });

  test("evaluate: a parent link by a writer, to an account, or to an unknown group is invalid", () => {
    const account = evaluateGroup(groupLog("co_zAccount" as CoId, agent, [[agent, 1, agent, "admin"]], { type: "account" }), noGroups);
    const lookup: GroupLookup = { group: (id) => (id === account.id ? account : undefined) };
    const { valid } = evaluate(
      [...created, [alice, 2, bob, "writer"], [bob, 3, "parent_co_zAccount", "extend"], [alice, 3, "parent_co_zAccount", "extend"], [alice, 3, "parent_co_zNope", "extend"]],
      lookup,
    );
    expect(valid.slice(5)).toEqual([false, false, false]);
  });

  test("evaluate: a parent link that closes a cycle is refused; the group evaluated first keeps its link", () => {
    const inputs = new Map<CoId, GroupInput>([
      ["co_zA" as CoId, groupLog("co_zA" as CoId, alice, [...created, [alice, 5, "parent_co_zB", "extend"]])],
      ["co_zB" as CoId, groupLog("co_zB" as CoId, alice, [...created, [alice, 5, "parent_co_zA", "extend"]])],
    ]);
    const lookup = createGroupResolver({ group: (id) => inputs.get(id), accountAgent: () => undefined });
    const a = lookup.group("co_zA" as CoId) as GroupState;
    const b = lookup.group("co_zB" as CoId) as GroupState;
    expect(a.verdicts.map((v) => v.valid)).toEqual([true, true, true, true, true]);
    expect(b.verdicts.map((v) => v.valid)).toEqual([true, true, true, true, false]);
    expect(roleOf(a, bob, lookup)).toBeUndefined();

    // A cycle through a third group is refused the same way.
    const chain = new Map<CoId, GroupInput>([
      ["co_zA" as CoId, groupLog("co_zA" as CoId, alice, [...created, [alice, 5, "parent_co_zB", "extend"]])],
      ["co_zB" as CoId, groupLog("co_zB" as CoId, alice, [...created, [alice, 5, "parent_co_zC", "extend"]])],
      ["co_zC" as CoId, groupLog("co_zC" as CoId, alice, [...created])],
    ]);
    const first = createGroupResolver({ group: (id) => chain.get(id), accountAgent: () => undefined });
    const c = first.group("co_zC" as CoId) as GroupState;
    chain.set("co_zC" as CoId, groupLog("co_zC" as CoId, alice, [...created, [alice, 6, "parent_co_zA", "extend"]]));
    const second = createGroupResolver({ group: (id) => chain.get(id), accountAgent: () => undefined });
    second.group("co_zA" as CoId);
    expect(c.verdicts.every((v) => v.valid)).toBe(true);
    expect((second.group("co_zC" as CoId) as GroupState).verdicts.map((v) => v.valid)).toEqual([true, true, true, true, false]);
  });

  test("evaluate: linking to a parent that already extends this group (transitively) is refused as a cycle", () => {
    const plainA = evaluateGroup(groupLog("co_zA" as CoId, alice, created), noGroups);
    const c = evaluateGroup(groupLog("co_zC" as CoId, alice, [...created, [alice, 2, "parent_co_zA", "extend"]]), {
      group: (id) => (id === plainA.id ? plainA : undefined),
    });
    const b = evaluateGroup(groupLog("co_zB" as CoId, alice, [...created, [alice, 3, "parent_co_zC", "extend"]]), {
      group: (id) => (id === c.id ? c : undefined),
    });
    const known = new Map<string, GroupState>([[b.id, b], [c.id, c], [plainA.id, plainA]]);
    const a = evaluateGroup(groupLog("co_zA" as CoId, alice, [...created, [alice, 4, "parent_co_zB", "extend"]]), {
      group: (id) => known.get(id),
    });
    expect(a.verdicts[4]).toMatchObject({ valid: false, reason: "parent group would create a cycle" });
  });
});

describe("order", () => {
  test("evaluate: same-millisecond edits of different sessions are ordered by session id, whatever the input order", () => {
    // Bob (admin) and Carol (admin) act in the same millisecond: Bob demotes Dave, Carol promotes him.
    const steps: Step[] = [...created, [alice, 2, bob, "admin"], [alice, 2, carol, "admin"], [alice, 2, dave, "writer"], [carol, 5, dave, "manager"], [bob, 5, dave, "reader"]];
    const forward = evaluate(steps).state;
    const backward = evaluateGroup(groupLog("co_zGroup" as CoId, alice, [...steps].reverse()), noGroups);
    // "co_zBob_session…" sorts before "co_zCarol_session…": Carol's change comes last and wins.
    expect(roleOf(forward, dave, noGroups)).toBe("manager");
    expect(roleOf(backward, dave, noGroups)).toBe("manager");
  });

  const members = [alice, bob, carol, dave] as const;
  const stepArb = fc.tuple(
    fc.constantFrom(...members),
    fc.integer({ min: 1, max: 6 }),
    fc.constantFrom<string>(...members, "everyone", "readKey", "writeKeyFor_co_zDave", "key_zK1_for_co_zDave"),
    fc.constantFrom<JsonValue>("admin", "manager", "writer", "reader", "writeOnly", "revoked", "writerInvite", "key_zK2"),
  );

  test.prop([fc.array(stepArb, { maxLength: 25 }), fc.infiniteStream(fc.nat())])(
    "evaluate: verdicts depend on the log, not on the order it is handed over",
    (steps, randomness) => {
      const input = groupLog("co_zGroup" as CoId, alice, [...created, ...(steps as Step[])]);
      const shuffled = input.transactions
        .map((tx) => ({ tx, key: randomness.next().value as number }))
        .sort((a, b) => a.key - b.key)
        .map(({ tx }) => tx);
      const verdicts = (state: GroupState) => new Map(state.verdicts.map((v) => [`${v.txId.sessionID}#${v.txId.txIndex}`, v.valid]));
      expect(verdicts(evaluateGroup({ ...input, transactions: shuffled }, noGroups))).toEqual(verdicts(evaluateGroup(input, noGroups)));
    },
  );
});
