// Same verdicts as real cojson 0.20.19, property-tested: random sequences of group operations
// run on real cojson nodes (two admins and three members, each node with its own skewed clock,
// syncing only when the sequence says so), then everything is gathered on a fresh cojson node and
// on cosync. Both must agree on every transaction's validity (groups and an owned map), on every
// member's role at every sampled time, and on the read keys each member can obtain.
import { fc, test } from "@fast-check/vitest";
import {
  checkOwnedTransaction,
  type CoId,
  currentReadKey,
  type GroupState,
  type KeyId,
  type KeyLookup,
  readKeySecret,
  roleOf,
} from "@cosync/core";
import type { LocalNode, RawAccount, RawCoMap } from "cojson";
import { beforeAll, expect } from "vitest";
import {
  type Actor,
  type Crypto,
  cojsonVerdicts,
  cosyncViewOf,
  createActors,
  createObserver,
  expectSameVerdicts,
  groupOn,
  loadCryptos,
  reopenActor,
  share,
  txKey,
} from "./permissions-harness.js";

const GROUPS = ["G", "P1", "P2"] as const;
type GroupName = (typeof GROUPS)[number];
/** Allowed parent links (child → parent): never a cycle, G → P1 → P2 gives grandparents. */
const LINKS = [
  ["G", "P1"],
  ["G", "P2"],
  ["P1", "P2"],
] as const;
const ROLES = ["reader", "writer", "manager", "admin", "writeOnly"] as const;
const RAW_VALUES = ["reader", "writer", "manager", "admin", "writeOnly", "revoked", "readerInvite", "adminInvite", "managerInvite"] as const;

type Op =
  | { kind: "add"; actor: number; group: GroupName; member: number; role: (typeof ROLES)[number] }
  | { kind: "remove"; actor: number; group: GroupName; member: number }
  | { kind: "everyone"; actor: number; group: GroupName; role: "reader" | "writer" }
  | { kind: "rotate"; actor: number; group: GroupName }
  | { kind: "extend"; actor: number; link: number; mapping: "inherit" | "reader" | "writer" | "manager" | "admin" }
  | { kind: "unextend"; actor: number; link: number }
  | { kind: "raw"; actor: number; group: GroupName; member: number; value: (typeof RAW_VALUES)[number] }
  | { kind: "rawParent"; actor: number; link: number; value: "extend" | "reader" | "admin" | "revoked" }
  | { kind: "write"; actor: number; privacy: "trusting" | "private" }
  | { kind: "sync"; from: number; to: number };

/** Any node; the admins' more often, so that members actually get roles. */
const actorArb = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(0, 1) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 4 }) });
const groupArb = fc.constantFrom(...GROUPS);
const memberArb = fc.integer({ min: 1, max: 4 });
const linkArb = fc.integer({ min: 0, max: LINKS.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("add" as const), actor: actorArb, group: groupArb, member: memberArb, role: fc.constantFrom(...ROLES) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("remove" as const), actor: actorArb, group: groupArb, member: memberArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("everyone" as const), actor: actorArb, group: groupArb, role: fc.constantFrom("reader" as const, "writer" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("rotate" as const), actor: actorArb, group: groupArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("extend" as const),
      actor: actorArb,
      link: linkArb,
      mapping: fc.constantFrom("inherit" as const, "reader" as const, "writer" as const, "manager" as const, "admin" as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("unextend" as const), actor: actorArb, link: linkArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("raw" as const), actor: actorArb, group: groupArb, member: memberArb, value: fc.constantFrom(...RAW_VALUES) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("rawParent" as const),
      actor: actorArb,
      link: linkArb,
      value: fc.constantFrom("extend" as const, "reader" as const, "admin" as const, "revoked" as const),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("write" as const), actor: actorArb, privacy: fc.constantFrom("trusting" as const, "private" as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("sync" as const), from: actorArb, to: actorArb }) },
);

const scenarioArb = fc.record({
  /** Each node's clock offset for the run (in 8 ms units, so nodes never share a millisecond). */
  skews: fc.array(fc.integer({ min: -40, max: 40 }), { minLength: 5, maxLength: 5 }),
  steps: fc.array(fc.record({ op: opArb, jitter: fc.integer({ min: -30, max: 30 }) }), { minLength: 1, maxLength: 10 }),
  /** Whose read keys to compare (a fresh cojson node per member is the costly part of a run). */
  keyHolders: fc.subarray([0, 1, 2, 3, 4], { minLength: 1, maxLength: 2 }),
});

let crypto: Crypto;
/** Admins A1 (creator) and A2; members M1, M2, M3 (index 0..4), created once; each run reopens them on fresh nodes. */
let templates: Actor[];

beforeAll(async () => {
  crypto = await loadCryptos();
  templates = await createActors(crypto, ["A1", "A2", "M1", "M2", "M3"]);
});

function attempt(action: () => void): void {
  try {
    action();
  } catch {
    // cojson refuses many operations part-way; whatever it wrote stays in the log, as on a real node.
  }
}

/** Runs one operation on an actor's node through cojson's own API (or a raw `set`). */
function perform(
  op: Exclude<Op, { kind: "sync" }>,
  node: LocalNode,
  accounts: readonly RawAccount[],
  actors: readonly Actor[],
  ids: Readonly<Record<GroupName, string>>,
  mapId: string,
  index: number,
): void {
  const group = (name: GroupName) => groupOn(node, ids[name]);
  const member = (which: number) => accounts[which] as never;
  const link = (which: number) => LINKS[which] as readonly [GroupName, GroupName];
  switch (op.kind) {
    case "add":
      group(op.group).addMember(member(op.member), op.role);
      break;
    case "remove":
      group(op.group).removeMember(member(op.member));
      break;
    case "everyone":
      group(op.group).addMember("everyone", op.role);
      break;
    case "rotate":
      group(op.group).rotateReadKey();
      break;
    case "extend": {
      const [child, parent] = link(op.link);
      group(child).extend(group(parent), op.mapping);
      break;
    }
    case "unextend": {
      const [child, parent] = link(op.link);
      group(child).revokeExtend(group(parent));
      break;
    }
    case "raw":
      group(op.group).set((actors[op.member] as Actor).accountId as never, op.value as never, "trusting");
      break;
    case "rawParent": {
      const [child, parent] = link(op.link);
      group(child).set(`parent_${ids[parent]}` as never, op.value as never, "trusting");
      break;
    }
    case "write":
      (node.getCoValue(mapId as never).getCurrentContent() as RawCoMap).set(`k${index}`, index, op.privacy);
      break;
  }
}

test.prop([scenarioArb], { numRuns: 200 })("cosync and cojson agree on verdicts, roles over time and read keys", ({ skews, steps, keyHolders }) => {
  const base = 1_000_000;
  const actors = templates.map((actor) => reopenActor(crypto, actor, templates, base));
  // accounts[node][actor]: each node's account objects, for cojson's addMember/removeMember.
  const accounts = actors.map(({ node }) => actors.map(({ accountId }) => node.getCoValue(accountId as never).getCurrentContent() as RawAccount));
  const a1 = actors[0] as Actor;
  const created = { G: a1.node.createGroup(), P1: a1.node.createGroup(), P2: a1.node.createGroup() };
  for (const name of GROUPS) created[name].addMember(accounts[0]?.[1] as never, "admin");
  const map = created.G.createMap();
  const ids: Record<GroupName, string> = { G: created.G.id, P1: created.P1.id, P2: created.P2.id };
  const order = [ids.P2, ids.P1, ids.G, map.id];
  for (const actor of actors.slice(1)) for (const id of order) share(a1.node, actor.node, id);

  for (const [index, { op, jitter }] of steps.entries()) {
    if (op.kind === "sync") {
      for (const id of order) share((actors[op.from] as Actor).node, (actors[op.to] as Actor).node, id);
      continue;
    }
    const actor = actors[op.actor] as Actor;
    // Distinct residues mod 8 keep different nodes off the same millisecond; jitter lets a
    // node's own clock step backwards now and then.
    actor.setTime(base + 400 * (index + 1) + 8 * ((skews[op.actor] ?? 0) + jitter) + op.actor);
    attempt(() => perform(op, actor.node, accounts[op.actor] as RawAccount[], actors, ids, map.id, index));
  }

  // A fresh cojson node gathers everything and evaluates from scratch; cosync reads its content.
  const observer = createObserver(crypto, actors);
  for (const id of order) for (const actor of actors) share(actor.node, observer, id);
  const { view, lookup } = cosyncViewOf(crypto, observer, actors, order);
  const states = GROUPS.map((name) => lookup.group(ids[name] as CoId) as GroupState);

  // 1. The same verdict on every transaction of every group and of the owned map.
  for (const state of states) expectSameVerdicts(observer, state);
  const owner = states[0] as GroupState;
  const mapVerdicts = new Map(view.transactions(map.id as CoId).map((tx) => [txKey(tx.txId), checkOwnedTransaction(owner, tx, lookup).valid]));
  expect(mapVerdicts).toEqual(cojsonVerdicts(observer, map.id));

  // 2. The same role for every member (and everyone) at every sampled time.
  const times = new Set<number>();
  for (const state of states) for (const verdict of state.verdicts) for (const delta of [-1, 0, 1]) times.add(verdict.madeAt + delta);
  const members = [...actors.map((actor) => actor.accountId as string), "everyone"];
  for (const state of states) {
    const theirs = groupOn(observer, state.id);
    for (const time of [...times, undefined]) {
      const view = time === undefined ? theirs : theirs.atTime(time);
      for (const memberId of members) {
        expect(roleOf(state, memberId, lookup, time), `${memberId} in ${state.id} at ${time}`).toBe(view.roleOf(memberId as never));
      }
    }
  }

  // 3. The same read keys for every member, as a fresh cojson node holding that member's secret gets them.
  for (const holder of keyHolders) {
    const actor = actors[holder] as Actor;
    expectSameKeys(reopenActor(crypto, actor, templates).node, actor, observer, order.slice(0, 3), states, lookup);
  }
});

function expectSameKeys(
  node: LocalNode,
  actor: Actor,
  source: LocalNode,
  groupIds: readonly string[],
  states: readonly GroupState[],
  lookup: KeyLookup,
): void {
  for (const id of groupIds) share(source, node, id);
  const me = { id: actor.accountId, agentSecret: actor.agentSecret };
  for (const state of states) {
    const theirs = groupOn(node, state.id);
    let theirCurrent: { id: string; secret: string | undefined } | undefined;
    try {
      const key = theirs.getCurrentReadKey();
      theirCurrent = { id: key.id, secret: key.secret };
    } catch {
      theirCurrent = undefined;
    }
    expect(currentReadKey(state, me, lookup, crypto.ours), `${actor.name}'s current key in ${state.id}`).toEqual(theirCurrent);
    const keyIds = new Set<string>();
    for (const [key, entries] of state.entries) {
      if (key === "readKey" || key.startsWith("writeKeyFor_")) for (const entry of entries) keyIds.add(entry.value as string);
    }
    for (const keyId of keyIds) {
      expect(readKeySecret(state, keyId as KeyId, me, lookup, crypto.ours), `${actor.name}: ${keyId} of ${state.id}`).toBe(theirs.getReadKey(keyId as never));
    }
  }
}
