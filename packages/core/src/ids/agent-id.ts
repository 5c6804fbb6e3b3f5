import { describeValue, FormatError } from "../errors.js";
import { type Base58Format, base58FormatProblem, decodeBase58Format, maxFormatLength } from "./prefixed.js";

export type SignerSecret = `signerSecret_z${string}`;
export type SignerId = `signer_z${string}`;
export type SealerSecret = `sealerSecret_z${string}`;
export type SealerId = `sealer_z${string}`;
/** An agent's secret: its X25519 sealer secret and Ed25519 signer seed. */
export type AgentSecret = `${SealerSecret}/${SignerSecret}`;
/** An agent's public id: its X25519 and Ed25519 public keys. */
export type AgentId = `${SealerId}/${SignerId}`;

export const signerSecretFormat: Base58Format = { name: "signer secret", prefix: "signerSecret_z", byteLength: 32 };
export const signerIdFormat: Base58Format = { name: "signer id", prefix: "signer_z", byteLength: 32 };
export const sealerSecretFormat: Base58Format = { name: "sealer secret", prefix: "sealerSecret_z", byteLength: 32 };
export const sealerIdFormat: Base58Format = { name: "sealer id", prefix: "sealer_z", byteLength: 32 };

function pairProblem(value: unknown, name: string, first: Base58Format, second: Base58Format): string | undefined {
  if (typeof value !== "string") return `expected an ${name} string, got ${describeValue(value)}`;
  // Bounded before slicing: a valid first half is remembered, and its slice would keep all of `value`.
  if (value.length > maxFormatLength(first) + 1 + maxFormatLength(second)) {
    return `expected an ${name}, got ${describeValue(value)} (too long)`;
  }
  const slash = value.indexOf("/");
  if (slash < 0) return `expected an ${name} ("${first.prefix}…/${second.prefix}…"), got ${describeValue(value)}`;
  return base58FormatProblem(value.slice(0, slash), first) ?? base58FormatProblem(value.slice(slash + 1), second);
}

export function agentIdProblem(value: unknown): string | undefined {
  return pairProblem(value, "agent id", sealerIdFormat, signerIdFormat);
}

export function isAgentId(value: unknown): value is AgentId {
  return agentIdProblem(value) === undefined;
}

export function parseAgentId(value: unknown, argument = "agentId"): AgentId {
  const problem = agentIdProblem(value);
  if (problem !== undefined) throw new FormatError(`${argument}: ${problem}`);
  return value as AgentId;
}

export function parseAgentSecret(value: unknown, argument = "agentSecret"): AgentSecret {
  const problem = pairProblem(value, "agent secret", sealerSecretFormat, signerSecretFormat);
  if (problem !== undefined) throw new FormatError(`${argument}: ${problem}`);
  return value as AgentSecret;
}

export function signerIdOfAgent(agentId: AgentId): SignerId {
  return agentId.slice(agentId.indexOf("/") + 1) as SignerId;
}

export function sealerIdOfAgent(agentId: AgentId): SealerId {
  return agentId.slice(0, agentId.indexOf("/")) as SealerId;
}

export function signerSecretOfAgent(secret: AgentSecret): SignerSecret {
  return secret.slice(secret.indexOf("/") + 1) as SignerSecret;
}

export function sealerSecretOfAgent(secret: AgentSecret): SealerSecret {
  return secret.slice(0, secret.indexOf("/")) as SealerSecret;
}

export const decodeSignerSecret = (value: unknown, argument = "signerSecret") =>
  decodeBase58Format(value, signerSecretFormat, argument);
export const decodeSignerId = (value: unknown, argument = "signerId") =>
  decodeBase58Format(value, signerIdFormat, argument);
export const decodeSealerSecret = (value: unknown, argument = "sealerSecret") =>
  decodeBase58Format(value, sealerSecretFormat, argument);
export const decodeSealerId = (value: unknown, argument = "sealerId") =>
  decodeBase58Format(value, sealerIdFormat, argument);
