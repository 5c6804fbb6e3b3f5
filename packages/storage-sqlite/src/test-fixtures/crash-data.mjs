// Deterministic data shared by the crash test and its child writer: every transaction text,
// signature and hash state is a function of (session, index), so the parent can check what a
// killed child left behind without having seen what it wrote.
import { base58Encode, serializeTransaction } from "@cosync/core";

/** `length` bytes seeded by `seed` (FNV-1a into xorshift32). */
function seededBytes(seed, length) {
  let state = 0x811c9dc5;
  for (let index = 0; index < seed.length; index++) state = Math.imul(state ^ seed.charCodeAt(index), 0x01000193);
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

const coId = (name) => `co_z${base58Encode(seededBytes(`covalue/${name}`, 19))}`;

/** The CoValues the writer appends to, each with two ordinary sessions. */
export const CRASH_COVALUES = ["a", "b"].map((name) => {
  const id = coId(name);
  const owner = coId(`owner/${name}`);
  return {
    id,
    header: { type: "comap", ruleset: { type: "ownedByGroup", group: coId(`group/${name}`) }, meta: null, uniqueness: `z${base58Encode(seededBytes(`unique/${name}`, 12))}` },
    sessions: [0, 1].map((n) => `${owner}_session_z${base58Encode(seededBytes(`session/${name}/${n}`, 8))}`),
  };
});

/** Transaction `index` of `sessionId`: 150–230 characters of canonical transaction JSON. */
export function crashTx(sessionId, index) {
  const value = base58Encode(seededBytes(`${sessionId}/${index}`, 20 + (index % 40)));
  return serializeTransaction({ privacy: "trusting", madeAt: 1_764_072_000_000 + index, changes: JSON.stringify([{ op: "set", key: `k${index % 9}`, value }]) });
}

/** The signature after `count` transactions of `sessionId`. */
export function crashSignature(sessionId, count) {
  return `signature_z${base58Encode(seededBytes(`${sessionId}/sig/${count}`, 64))}`;
}

/** The hash state after `count` transactions of `sessionId`. */
export function crashHashState(sessionId, count) {
  return seededBytes(`${sessionId}/hash/${count}`, 32);
}

/** The append piece of `sessionId` covering transactions `from`..`to`. */
export function crashPiece(sessionId, from, to) {
  const transactions = [];
  for (let index = from; index < to; index++) transactions.push(crashTx(sessionId, index));
  return { after: from, transactions, lastSignature: crashSignature(sessionId, to), hashState: crashHashState(sessionId, to) };
}
