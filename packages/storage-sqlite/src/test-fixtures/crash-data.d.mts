import type { AppendSessionPiece, CoId, CoValueHeader, SessionId, Signature } from "@cosync/core";

export declare const CRASH_COVALUES: ReadonlyArray<{ readonly id: CoId; readonly header: CoValueHeader; readonly sessions: readonly SessionId[] }>;
export declare function crashTx(sessionId: SessionId, index: number): string;
export declare function crashSignature(sessionId: SessionId, count: number): Signature;
export declare function crashHashState(sessionId: SessionId, count: number): Uint8Array;
export declare function crashPiece(sessionId: SessionId, from: number, to: number): AppendSessionPiece;
