// Runs the attacker property (tests/security/attacker.prop.test.ts) long: 10,000 runs unless
// ATTACK_RUNS says otherwise. ATTACK_SEED and ATTACK_PATH replay a reported failure;
// ATTACK_NO_SHRINK=1 reports the first failing run as it was. Extra arguments go to vitest.
import { spawnSync } from "node:child_process";

const env = { ...process.env, ATTACK_RUNS: process.env.ATTACK_RUNS ?? "10000" };
console.log(`attacker property: ${env.ATTACK_RUNS} runs${env.ATTACK_SEED === undefined ? "" : `, seed ${env.ATTACK_SEED}`}`);
const result = spawnSync("npx", ["vitest", "run", "tests/security/attacker.prop.test.ts", ...process.argv.slice(2)], { stdio: "inherit", env });
if (result.error !== undefined) console.error(result.error.message);
process.exit(result.status ?? 1);
