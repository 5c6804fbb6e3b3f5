// cosync and real cojson 0.20.19 clients sharing accounts, groups and private values, through a
// cosync server and through a cojson server (in process, plain-object peers).
import type { RawCoMap } from "cojson";
import { expect, test, vi } from "vitest";
import { cojsonGroupWithCosyncMember, cojsonServer, cosyncGroupWithCojsonMember, cosyncServer } from "./mixed-peers.js";

for (const [serverName, makeServer] of [
  ["cosync", cosyncServer],
  ["cojson", cojsonServer],
] as const) {
  test(`interop via a ${serverName} server: cojson's group and private map are read and edited by a cosync member`, async () => {
    const { bob, group } = await cojsonGroupWithCosyncMember(await makeServer(), "writer");
    const map = group.createMap();
    map.set("greeting", "hello bob", "private");
    await map.core.waitForSync();

    expect((await bob.load(map.id as never)).status).toBe("loaded");
    const bobsMap = bob.getMap(map.id as never);
    expect(bobsMap?.get("greeting")).toBe("hello bob");
    expect(bob.getGroup(group.id as never)?.roleOf(bob.accountId as never)).toBe("writer");
    bobsMap?.set("answer", "hi alice");
    await bob.syncManager.waitForAllSynced();
    await vi.waitFor(() => expect((map.core.getCurrentContent() as RawCoMap).get("answer")).toBe("hi alice"));
  });

  test(`interop via a ${serverName} server: a cosync group with a cojson member, private writes both ways, a streamed value`, async () => {
    const { alice, bob, group } = await cosyncGroupWithCojsonMember(await makeServer());
    const map = group.createMap({ greeting: "hello from cosync" });
    const big = "z".repeat(1000);
    const stream = group.createStream();
    for (let i = 0; i < 250; i++) stream.push({ i, big });
    await alice.syncManager.waitForAllSynced();

    const loaded = await bob.node.load(map.id as never);
    if (loaded === "unavailable") throw new Error("cojson could not load the cosync map");
    expect((loaded as RawCoMap).get("greeting")).toBe("hello from cosync");
    (loaded as RawCoMap).set("answer", "hello from cojson", "private");
    await vi.waitFor(() => expect(map.get("answer")).toBe("hello from cojson"));

    const loadedStream = await bob.node.load(stream.id as never);
    if (loadedStream === "unavailable") throw new Error("cojson could not load the cosync stream");
    await vi.waitFor(() => expect(Object.values(loadedStream.core.knownState().sessions)[0]).toBe(250));
    const items = (loadedStream as unknown as { items: Record<string, Array<{ value: { i: number } }>> }).items;
    expect(Object.values(items)[0]?.map((item) => item.value.i)).toEqual(Array.from({ length: 250 }, (_, i) => i));
  });
}
