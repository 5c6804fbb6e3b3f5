import type { CoValueHeader } from "../covalues/header.js";
import type { CoId } from "../ids/co-id.js";
import type { SessionId } from "../ids/session-id.js";
import type { ErrorCode } from "../protocol/messages.js";
import type { PeerState } from "./peer-state.js";

/**
 * What received content would add to this node, offered to the node's admission policy (a
 * server's quotas and per-owner rates) only once it is verified: a header that hashes to its id,
 * or a session piece whose signature checked out, so `owner` really wrote it. Nothing of it is
 * stored, applied or forwarded before the policy answers.
 */
export type AdmissionRequest =
  | { readonly kind: "header"; readonly id: CoId; readonly bytes: number; readonly header: CoValueHeader }
  | {
      readonly kind: "session";
      readonly id: CoId;
      readonly sessionId: SessionId;
      /** The account or agent that signed the piece (the part of the session id before `_session_`). */
      readonly owner: string;
      readonly transactions: number;
      /** Canonical JSON bytes of the new transactions: what storage will hold. */
      readonly bytes: number;
    };

/**
 * The policy's answer. An admitted request may carry `settle`, called once storage committed
 * (`true`) or failed to commit (`false`) what was admitted, so a charge can be refunded.
 */
export type AdmissionVerdict =
  | { readonly ok: true; readonly settle?: (stored: boolean) => void }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/** Decides whether verified content from `peer` may be taken. Called synchronously on the sync path. */
export type AdmitContent = (peer: PeerState, request: AdmissionRequest) => AdmissionVerdict;

export const admitEverything: AdmitContent = () => ({ ok: true });
