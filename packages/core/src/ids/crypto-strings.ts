import { FormatError } from "../errors.js";
import { type Base58Format, base58FormatProblem } from "./prefixed.js";

/** A read key's public id and its secret. */
export type KeyId = `key_z${string}`;
export type KeySecret = `keySecret_z${string}`;
export type Signature = `signature_z${string}`;
export type Hash = `hash_z${string}`;
export type ShortHash = `shortHash_z${string}`;
export type InviteSecret = `inviteSecret_z${string}`;
/** A header's `uniqueness` as cojson generates it: `z` + base58 of 12 random bytes. */
export type Uniqueness = `z${string}`;
export type Encrypted = `encrypted_U${string}`;
export type Sealed = `sealed_U${string}`;
export type SealedForGroup = `sealedForGroup_U${string}`;
export type BinaryChunk = `binary_U${string}`;

export const keyIdFormat: Base58Format = { name: "key id", prefix: "key_z", byteLength: 12 };
export const keySecretFormat: Base58Format = { name: "key secret", prefix: "keySecret_z", byteLength: 32 };
export const signatureFormat: Base58Format = { name: "signature", prefix: "signature_z", byteLength: 64 };
export const hashFormat: Base58Format = { name: "hash", prefix: "hash_z", byteLength: 32 };
export const shortHashFormat: Base58Format = { name: "short hash", prefix: "shortHash_z", byteLength: 19 };
export const inviteSecretFormat: Base58Format = { name: "invite secret", prefix: "inviteSecret_z", byteLength: 32 };
export const uniquenessFormat: Base58Format = { name: "uniqueness", prefix: "z", byteLength: 12 };

function parser<T extends string>(format: Base58Format, defaultArgument: string) {
  return (value: unknown, argument = defaultArgument): T => {
    const problem = base58FormatProblem(value, format);
    if (problem !== undefined) throw new FormatError(`${argument}: ${problem}`);
    return value as T;
  };
}

function guard<T extends string>(format: Base58Format) {
  return (value: unknown): value is T => base58FormatProblem(value, format) === undefined;
}

export const parseKeyId = parser<KeyId>(keyIdFormat, "keyId");
export const parseKeySecret = parser<KeySecret>(keySecretFormat, "keySecret");
export const parseSignature = parser<Signature>(signatureFormat, "signature");
export const parseHash = parser<Hash>(hashFormat, "hash");
export const parseShortHash = parser<ShortHash>(shortHashFormat, "shortHash");
export const parseInviteSecret = parser<InviteSecret>(inviteSecretFormat, "inviteSecret");
export const isKeyId = guard<KeyId>(keyIdFormat);
export const isKeySecret = guard<KeySecret>(keySecretFormat);
export const isSignature = guard<Signature>(signatureFormat);
export const isHash = guard<Hash>(hashFormat);
export const isInviteSecret = guard<InviteSecret>(inviteSecretFormat);
