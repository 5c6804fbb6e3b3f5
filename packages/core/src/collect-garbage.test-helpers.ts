import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Full V8 collections a few turns apart, for tests that measure what stays reachable (one gc()
 * right after the garbage was made left tens of MB counted).
 */
export async function collectGarbage(): Promise<void> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  for (let round = 0; round < 4; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
