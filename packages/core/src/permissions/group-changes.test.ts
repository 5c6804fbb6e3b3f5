// Builders and key access together: groups built change by change into an in-memory log, then
// evaluated, then read as each identity.
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { beforeAll, expect, test } from "vitest";
import { CoCrypto } from "../crypto/co-crypto.js";
import type { DecodedTransaction } from "../covalues/decoded-transaction.js";
import type { CoValueHeader } from "../covalues/header.js";
import type { JsonValue } from "../encoding/canonical-json.js";
import type { AgentId } from "../ids/agent-id.js";
import type { CoId } from "../ids/co-id.js";
import type { KeyId } from "../ids/crypto-strings.js";
import type { SessionId } from "../ids/session-id.js";
import type { Result } from "../result.js";
import {
  accountHeader,
  addMemberChanges,
  createAccountChanges,
  createGroupChanges,
  extendChanges,
  type GroupSetChange,
  groupHeader,
  removeMemberChanges,
  revokeExtendChanges,
  type WriteContext,
} from "./group-changes.js";
import { type GroupState, groupValue, roleOf } from "./group-state.js";
import { acceptInviteChanges, createInviteChanges, inviteIdentity } from "./invites.js";
import { currentReadKey, groupSealerSecret, type Identity, type KeyLookup, readKeySecret } from "./key-access.js";
import { createGroupResolver } from "./resolver.js";

let crypto: CoCrypto;

beforeAll(async () => {
  crypto = new CoCrypto(await loadNodeCryptoProvider());
});

/** Groups as in-memory logs; every read re-evaluates from scratch. */
function world() {
  const groups = new Map<CoId, { header: CoValueHeader; transactions: DecodedTransaction[] }>();
  const agents = new Map<CoId, AgentId>();
  let clock = 1_000;
  const lookup = (): KeyLookup =>
    createGroupResolver({
      group: (id) => {
        const group = groups.get(id);
        return group === undefined ? undefined : { id, ...group };
      },
      accountAgent: (id) => agents.get(id),
    });
  const state = (id: CoId): GroupState => lookup().group(id) as GroupState;
  const sessionOf = (me: Identity): SessionId => `${me.id}_session_zTest` as SessionId;
  const ctx = (me: Identity, groupId: CoId): WriteContext => {
    const sessionId = sessionOf(me);
    const nextTxIndex = groups.get(groupId)?.transactions.filter((tx) => tx.txId.sessionID === sessionId).length ?? 0;
    return { crypto, me, sessionId, nextTxIndex };
  };
  const append = (groupId: CoId, me: Identity, changes: readonly GroupSetChange[]): void => {
    const group = groups.get(groupId);
    if (group === undefined) throw new Error(`no group ${groupId}`);
    const { sessionId, nextTxIndex } = ctx(me, groupId);
    clock += 10;
    changes.forEach((change, index) => {
      group.transactions.push({
        txId: { sessionID: sessionId, txIndex: nextTxIndex + index },
        author: me.id,
        madeAt: clock,
        changes: [change as unknown as JsonValue],
        privacy: "trusting",
      });
    });
  };
  const apply = (groupId: CoId, me: Identity, build: (ctx: WriteContext, group: GroupState, lookup: KeyLookup) => Result<GroupSetChange[], string>) => {
    const result = build(ctx(me, groupId), state(groupId), lookup());
    if (!result.ok) throw new Error(result.error);
    append(groupId, me, result.value);
    return result.value;
  };
  const account = (name: string): Identity => {
    const agentSecret = crypto.newRandomAgentSecret();
    const id = `co_z${name}` as CoId;
    agents.set(id, crypto.agentId(agentSecret));
    return { id, agentSecret };
  };
  const createGroup = (name: string, admin: Identity): CoId => {
    const id = `co_z${name}` as CoId;
    groups.set(id, { header: groupHeader({ initialAdmin: admin.id, uniqueness: crypto.newUniqueness() }), transactions: [] });
    append(id, admin, createGroupChanges(ctx(admin, id), id, crypto.newKey()));
    return id;
  };
  const member = (who: Identity) => ({ id: who.id, agent: agents.get(who.id as CoId) ?? crypto.agentId(who.agentSecret) });
  const keyOf = (group: CoId, who: Identity) => currentReadKey(state(group), who, lookup(), crypto);
  const read = (group: CoId, keyId: KeyId, who: Identity) => readKeySecret(state(group), keyId, who, lookup(), crypto);
  const allValid = (group: CoId) => state(group).verdicts.every((verdict) => verdict.valid);
  return { groups, agents, state, lookup, ctx, append, apply, account, createGroup, member, keyOf, read, allValid };
}

test("createAccountChanges: an account's agent is admin and reads the account's key", () => {
  const w = world();
  const agentSecret = crypto.newRandomAgentSecret();
  const agent = crypto.agentId(agentSecret);
  const header = accountHeader(agent);
  const id = `co_zAccount` as CoId;
  w.groups.set(id, { header, transactions: [] });
  w.agents.set(id, agent);
  const key = crypto.newKey();
  // In its own account, an account writes as its agent.
  const asAgent: Identity = { id: agent, agentSecret };
  w.append(id, asAgent, createAccountChanges(w.ctx(asAgent, id), id, key));
  expect(w.allValid(id)).toBe(true);
  expect(roleOf(w.state(id), id, w.lookup())).toBe("admin");
  expect(w.keyOf(id, { id, agentSecret })).toEqual({ id: key.id, secret: key.secret });
});

test("createGroupChanges: the creator is admin, reads the key, and derives the group sealer", () => {
  const w = world();
  const alice = w.account("Alice");
  const g = w.createGroup("G", alice);
  const state = w.state(g);
  expect(w.allValid(g)).toBe(true);
  expect(roleOf(state, alice.id, w.lookup())).toBe("admin");
  const key = w.keyOf(g, alice);
  expect(key?.secret).toBeDefined();
  const sealer = crypto.groupSealerFromReadKey(key?.secret as never);
  expect(groupValue(state, "groupSealer")).toBe(`${key?.id}@${sealer.id}`);
  expect(groupSealerSecret(state, alice, w.lookup(), crypto)).toBe(sealer.secret);
  expect(w.keyOf(g, w.account("Eve"))?.secret).toBeUndefined();
});

test("removeMemberChanges: the removed member keeps only old keys; the others read new and old", () => {
  const w = world();
  const [alice, bob, carol, dave] = ["Alice", "Bob", "Carol", "Dave"].map(w.account) as [Identity, Identity, Identity, Identity];
  const g = w.createGroup("G", alice);
  w.apply(g, alice, (ctx, s, l) => addMemberChanges(ctx, s, l, w.member(bob), "writer"));
  w.apply(g, alice, (ctx, s, l) => addMemberChanges(ctx, s, l, w.member(carol), "reader"));
  w.apply(g, alice, (ctx, s, l) => addMemberChanges(ctx, s, l, w.member(dave), "writeOnly"));
  const oldKey = w.keyOf(g, alice) as { id: KeyId; secret: string };
  expect(w.keyOf(g, bob)).toEqual(oldKey);
  expect(w.keyOf(g, carol)).toEqual(oldKey);
  const daveKey = w.keyOf(g, dave);
  expect(daveKey?.id).not.toBe(oldKey.id);
  expect(daveKey?.secret).toBeDefined();
  expect(w.read(g, oldKey.id, dave)).toBeUndefined();
  expect(w.read(g, daveKey?.id as KeyId, alice)).toBe(daveKey?.secret);

  w.apply(g, alice, (ctx, s, l) => removeMemberChanges(ctx, s, l, bob.id));
  expect(w.allValid(g)).toBe(true);
  const newKey = w.keyOf(g, alice) as { id: KeyId; secret: string };
  expect(newKey.id).not.toBe(oldKey.id);
  expect(w.keyOf(g, carol)).toEqual(newKey);
  expect(roleOf(w.state(g), bob.id, w.lookup())).toBeUndefined();
  expect(w.read(g, newKey.id, bob)).toBeUndefined();
  expect(w.read(g, oldKey.id, bob)).toBe(oldKey.secret);
  expect(w.read(g, oldKey.id, carol)).toBe(oldKey.secret);
  // The writeOnly member got a fresh write key, which readers can also read.
  const daveNewKey = w.keyOf(g, dave);
  expect(daveNewKey?.id).not.toBe(daveKey?.id);
  expect(w.read(g, daveNewKey?.id as KeyId, carol)).toBe(daveNewKey?.secret);
  expect(w.read(g, newKey.id, dave)).toBeUndefined();
});

test("addMemberChanges: everyone as reader gets the key in plain text", () => {
  const w = world();
  const alice = w.account("Alice");
  const g = w.createGroup("G", alice);
  w.apply(g, alice, (ctx, s, l) => addMemberChanges(ctx, s, l, "everyone", "reader"));
  expect(w.allValid(g)).toBe(true);
  const stranger = w.account("Stranger");
  expect(roleOf(w.state(g), stranger.id, w.lookup())).toBe("reader");
  expect(w.keyOf(g, stranger)).toEqual(w.keyOf(g, alice));
  expect(addMemberChanges(w.ctx(alice, g), w.state(g), w.lookup(), "everyone", "admin").ok).toBe(false);
});

test("extendChanges: parent members read the child through the parent's key, or its group sealer", () => {
  const w = world();
  const [alice, bob, carol] = ["Alice", "Bob", "Carol"].map(w.account) as [Identity, Identity, Identity];
  const parent = w.createGroup("Parent", alice);
  w.apply(parent, alice, (ctx, s, l) => addMemberChanges(ctx, s, l, w.member(bob), "writer"));
  const child = w.createGroup("Child", alice);
  w.apply(child, alice, (ctx, s, l) => extendChanges(ctx, s, w.state(parent), l, "extend"));
  expect(w.allValid(child)).toBe(true);
  expect(Object.keys(Object.fromEntries(w.state(child).entries)).some((key) => key.includes("_for_key_"))).toBe(true);
  expect(roleOf(w.state(child), bob.id, w.lookup())).toBe("writer");
  expect(w.keyOf(child, bob)).toEqual(w.keyOf(child, alice));

  // Carol extends her group into a parent she is not a member of: sealed for its group sealer.
  const carols = w.createGroup("Carols", carol);
  w.apply(carols, carol, (ctx, s, l) => extendChanges(ctx, s, w.state(parent), l, "reader"));
  expect(w.allValid(carols)).toBe(true);
  expect([...w.state(carols).entries.keys()].some((key) => key.includes("_sealedFor_sealer_"))).toBe(true);
  expect(roleOf(w.state(carols), bob.id, w.lookup())).toBe("reader");
  expect(w.keyOf(carols, bob)).toEqual(w.keyOf(carols, carol));
  expect(w.keyOf(carols, alice)?.secret).toBe(w.keyOf(carols, carol)?.secret);

  // Cycles are refused; unlinking rotates the child's key away from the parent's members.
  const refused = extendChanges(w.ctx(alice, parent), w.state(parent), w.state(child), w.lookup());
  expect(refused.ok).toBe(false);
  w.apply(child, alice, (ctx, s, l) => revokeExtendChanges(ctx, s, w.state(parent), l));
  expect(w.allValid(child)).toBe(true);
  expect(roleOf(w.state(child), bob.id, w.lookup())).toBeUndefined();
  expect(w.keyOf(child, bob)?.secret).toBeUndefined();
});

test("invites: the invite agent writes the accepting account's role and keys in its own session", () => {
  const w = world();
  const [alice, bob, carol] = ["Alice", "Bob", "Carol"].map(w.account) as [Identity, Identity, Identity];
  const g = w.createGroup("G", alice);
  const writerInvite = createInviteChanges(w.ctx(alice, g), w.state(g), w.lookup(), "writer");
  if (!writerInvite.ok) throw new Error(writerInvite.error);
  w.append(g, alice, writerInvite.value.changes);
  const invite = inviteIdentity(crypto, writerInvite.value.inviteSecret);
  expect(roleOf(w.state(g), invite.id, w.lookup())).toBe("writerInvite");
  w.apply(g, invite, (ctx, s, l) => acceptInviteChanges(ctx, s, l, w.member(bob)));
  expect(w.allValid(g)).toBe(true);
  expect(roleOf(w.state(g), bob.id, w.lookup())).toBe("writer");
  expect(w.keyOf(g, bob)).toEqual(w.keyOf(g, alice));
  // Accepting again changes nothing.
  expect(acceptInviteChanges(w.ctx(invite, g), w.state(g), w.lookup(), w.member(bob))).toEqual({ ok: true, value: [] });

  const writeOnlyInvite = createInviteChanges(w.ctx(alice, g), w.state(g), w.lookup(), "writeOnly");
  if (!writeOnlyInvite.ok) throw new Error(writeOnlyInvite.error);
  w.append(g, alice, writeOnlyInvite.value.changes);
  const invite2 = inviteIdentity(crypto, writeOnlyInvite.value.inviteSecret);
  w.apply(g, invite2, (ctx, s, l) => acceptInviteChanges(ctx, s, l, w.member(carol)));
  expect(w.allValid(g)).toBe(true);
  expect(roleOf(w.state(g), carol.id, w.lookup())).toBe("writeOnly");
  const carolKey = w.keyOf(g, carol);
  expect(carolKey?.secret).toBeDefined();
  expect(carolKey?.id).not.toBe(w.keyOf(g, alice)?.id);
  expect(w.read(g, carolKey?.id as KeyId, bob)).toBe(carolKey?.secret);
});

test("builders: refuse bad arguments and what the writer may not do, as data", () => {
  const w = world();
  const [alice, bob] = ["Alice", "Bob"].map(w.account) as [Identity, Identity];
  const g = w.createGroup("G", alice);
  const h = w.createGroup("H", bob);
  expect(addMemberChanges(w.ctx(alice, g), w.state(g), w.lookup(), w.member(bob), "owner" as never)).toMatchObject({ ok: false });
  expect(addMemberChanges(w.ctx(alice, g), w.state(g), w.lookup(), { id: bob.id, agent: "nope" as never }, "reader")).toMatchObject({ ok: false });
  expect(extendChanges(w.ctx(alice, g), w.state(g), w.state(h), w.lookup(), "revoked" as never)).toMatchObject({ ok: false });
  // Alice is not admin of H; Bob can't read G's key to add anyone.
  expect(extendChanges(w.ctx(alice, h), w.state(h), w.state(g), w.lookup())).toMatchObject({ ok: false });
  expect(addMemberChanges(w.ctx(bob, g), w.state(g), w.lookup(), w.member(alice), "reader")).toMatchObject({ ok: false });
  expect(createInviteChanges(w.ctx(alice, g), w.state(g), w.lookup(), "readerInvite" as never)).toMatchObject({ ok: false });
});
