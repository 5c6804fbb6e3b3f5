// What a peer claims to hold is kept only for sessions held here: a `known` naming thousands of
// made-up sessions must not become state that every later write to the value walks.
import type { CoId, SessionId } from "@cosync/core";
import { expect, test, vi } from "vitest";
import { createTestNode, link, plainHeader, testCrypto } from "../helpers/nodes.js";

test("a known naming made-up sessions is kept only for the sessions the receiver holds", async () => {
  const crypto = await testCrypto();
  const server = await createTestNode();
  const writer = await createTestNode();
  link(writer, server, { names: { client: "writer", server: "server" } });
  const value = writer.createCoValue(plainHeader(crypto));
  value.writeTrusting(["held"]);
  await value.waitForSync();

  const stranger = await createTestNode();
  const { toServer, clientPeer } = link(stranger, server, { names: { client: "stranger", server: "server" } });
  const held = Object.keys(value.knownState().sessions) as SessionId[];
  const claims: Record<string, number> = { [held[0] as string]: 1 };
  for (let i = 0; i < 1_000; i++) claims[`${crypto.agentId(crypto.newRandomAgentSecret())}_session_z${crypto.newSessionRandomPart()}`] = 7;
  toServer.send({ action: "known", id: value.id as CoId, header: true, sessions: claims });
  await vi.waitFor(() => expect(clientPeer.confirmed.get(value.id as CoId)?.sessions).toEqual({ [held[0] as string]: 1 }));
  expect(clientPeer.optimistic.get(value.id as CoId)?.sessions).toEqual({ [held[0] as string]: 1 });
});
