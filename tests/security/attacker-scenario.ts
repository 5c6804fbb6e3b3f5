// The generated part of the attacker property (attacker.prop.test.ts): what the honest users
// write and what mallory sends in one run, as fast-check arbitraries (so failures shrink).
import { fc } from "@fast-check/vitest";

// ---- the scenario ---------------------------------------------------------------------------

/** Writes of each honest user this run: [before mallory starts, while she attacks]; no value if the first is 0. */
export interface HonestPlan {
  readonly map: readonly [number, number];
  readonly list: readonly [number, number];
  readonly cojson: readonly [number, number];
}

export type Target = { readonly kind: "honest"; readonly pick: number } | { readonly kind: "own" } | { readonly kind: "ownInUnknownGroup" };
export type SessionSpec =
  | {
      readonly sig: "valid";
      readonly signer: "freshAgent" | "malloryAccount" | "lateAccount";
      readonly txs: number;
      readonly pad: number;
      readonly inject: boolean;
      readonly deletes: boolean;
    }
  | {
      readonly sig: "forged";
      readonly owner: "freshAgent" | "malloryAccount" | "honestAccount" | "unknownAccount";
      readonly txs: number;
      readonly pad: number;
      readonly inject: boolean;
      readonly deletes: boolean;
    };
export type FloodItem = "forgedHonest" | "validJunk" | "forgedUnknown" | "load" | "known" | "done" | "noHeader";
export type Action =
  | {
      readonly kind: "mixed";
      readonly target: Target;
      readonly sessions: readonly SessionSpec[];
      readonly reveal: "never" | "notFound" | "after";
      readonly extra: boolean;
    }
  | { readonly kind: "forgedDelete"; readonly pick: number; readonly withValid: boolean }
  | { readonly kind: "malloryDelete"; readonly pick: number; readonly signer: "agent" | "account" }
  | {
      readonly kind: "hugeHeader";
      readonly bytes: number;
      readonly withTx: boolean;
      readonly variant: "ok" | "wrongId" | "injectedAfterHash";
    }
  | {
      readonly kind: "replay";
      readonly pick: number;
      readonly variant: "exact" | "tamper" | "inject" | "truncate" | "shift" | "retarget" | "intoOwn";
      readonly to: number;
    }
  | { readonly kind: "retargetDeletion"; readonly pick: number; readonly to: number }
  | {
      readonly kind: "ranges";
      readonly target: Target;
      readonly signer: "freshAgent" | "malloryAccount";
      readonly total: number;
      readonly ranges: readonly (readonly [number, number])[];
      readonly inject: boolean;
      readonly oneFrame: boolean;
    }
  | { readonly kind: "flood"; readonly items: readonly FloodItem[] }
  | { readonly kind: "garbage"; readonly variant: number; readonly depth: number };

export interface Scenario {
  readonly honest: HonestPlan;
  readonly actions: readonly Action[];
}

export const arbPick = fc.nat({ max: 1_000_000 });
export const arbPad = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: 0, max: 100 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1000, max: 16_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 50_000, max: 150_000 }) },
);
export const arbTarget: fc.Arbitrary<Target> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("honest" as const), pick: arbPick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("own" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("ownInUnknownGroup" as const) }) },
);
export const arbSession: fc.Arbitrary<SessionSpec> = fc.oneof(
  fc.record({
    sig: fc.constant("valid" as const),
    signer: fc.constantFrom("freshAgent" as const, "malloryAccount" as const, "lateAccount" as const),
    txs: fc.integer({ min: 1, max: 3 }),
    pad: arbPad,
    inject: fc.boolean(),
    deletes: fc.boolean(),
  }),
  fc.record({
    sig: fc.constant("forged" as const),
    owner: fc.constantFrom("freshAgent" as const, "malloryAccount" as const, "honestAccount" as const, "unknownAccount" as const),
    txs: fc.integer({ min: 1, max: 3 }),
    pad: arbPad,
    inject: fc.boolean(),
    deletes: fc.boolean(),
  }),
);
export const arbAction: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("mixed" as const),
      target: arbTarget,
      sessions: fc.array(arbSession, { minLength: 1, maxLength: 4 }),
      reveal: fc.constantFrom("never" as const, "notFound" as const, "after" as const),
      extra: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("forgedDelete" as const), pick: arbPick, withValid: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("malloryDelete" as const),
      pick: arbPick,
      signer: fc.constantFrom("agent" as const, "account" as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("hugeHeader" as const),
      // Around the server's 64 KiB header limit, and far beyond it.
      bytes: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 100, max: 20_000 }) },
        { weight: 2, arbitrary: fc.integer({ min: 60_000, max: 70_000 }) },
        { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 700_000 }) },
      ),
      withTx: fc.boolean(),
      variant: fc.constantFrom("ok" as const, "wrongId" as const, "injectedAfterHash" as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("replay" as const),
      pick: arbPick,
      variant: fc.constantFrom(
        "exact" as const,
        "tamper" as const,
        "inject" as const,
        "truncate" as const,
        "shift" as const,
        "retarget" as const,
        "intoOwn" as const,
      ),
      to: arbPick,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("retargetDeletion" as const), pick: arbPick, to: arbPick }) },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 2, max: 6 }).chain((total) =>
      fc.record({
        kind: fc.constant("ranges" as const),
        target: arbTarget,
        signer: fc.constantFrom("freshAgent" as const, "malloryAccount" as const),
        total: fc.constant(total),
        ranges: fc.array(fc.tuple(fc.integer({ min: 0, max: total - 1 }), fc.integer({ min: 1, max: total })), {
          minLength: 1,
          maxLength: 6,
        }),
        inject: fc.boolean(),
        oneFrame: fc.boolean(),
      }),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("flood" as const),
      items: fc.array(fc.constantFrom<FloodItem>("forgedHonest", "validJunk", "forgedUnknown", "load", "known", "done", "noHeader"), {
        minLength: 5,
        maxLength: 150,
      }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("garbage" as const),
      variant: fc.nat({ max: 24 }),
      depth: fc.constantFrom(10, 1000, 20_000, 200_000),
    }),
  },
);
export const arbScenario: fc.Arbitrary<Scenario> = fc.record({
  honest: fc.record({
    map: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
    list: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
    cojson: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
  }),
  actions: fc.array(arbAction, { minLength: 1, maxLength: 6 }),
});
