import { expect, test } from "vitest";
import { closestName, editDistance } from "../../packages/cli/src/closest-name.js";

test("edit distance: insertions, deletions, substitutions and neighbour swaps each cost one", () => {
  expect(editDistance("port", "port")).toBe(0);
  expect(editDistance("prot", "port")).toBe(1);
  expect(editDistance("por", "port")).toBe(1);
  expect(editDistance("ports", "port")).toBe(1);
  expect(editDistance("pert", "port")).toBe(1);
  expect(editDistance("", "db")).toBe(2);
  expect(editDistance("kitten", "sitting")).toBe(3);
});

test("closest name: suggests only what is near enough to be a typo", () => {
  const names = ["port", "host", "db", "in-memory", "max-connections"];
  expect(closestName("prot", names)).toBe("port");
  expect(closestName("hots", names)).toBe("host");
  expect(closestName("inmemory", names)).toBe("in-memory");
  expect(closestName("max-conections", names)).toBe("max-connections");
  expect(closestName("xyzzy", names)).toBeUndefined();
  expect(closestName("d", names)).toBe("db");
});
