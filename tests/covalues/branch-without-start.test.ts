// cojson reads a branch's source only once the branch has a start (`if (source && branchStart)`):
// a value whose header names a `source` but holds no valid `from` shows only its own transactions.
import { expect, test } from "vitest";
import { namedAccountNode } from "../helpers/nodes.js";

test("a value naming a source but without a branch start reads only its own transactions, as in cojson", async () => {
  const alice = await namedAccountNode("Alice");
  const group = alice.createGroup();
  const map = group.createMap({ secret: "from the source" });
  const handle = alice.createCoValue({
    type: "comap",
    ruleset: { type: "ownedByGroup", group: group.id },
    meta: { branch: "fake", source: map.id },
    uniqueness: "",
  });
  handle.writeTrusting([{ op: "set", key: "own", value: "mine" }]);
  expect(alice.getMap(handle.id)?.toJSON()).toEqual({ own: "mine" });
});
