/**
 * The version of cosync's sync protocol (docs/protocol.md#version-history).
 *
 * The wire is cojson 0.20.19's (docs/protocol.md); cosync's additions are invisible to cojson peers
 * (docs/protocol.md, "Error notices"). Bump this when a message, field, frame rule or close code changes, and add a line
 * below and to docs/protocol.md in the same commit.
 *
 * History:
 * 1. cojson 0.20.19 framing and messages (load, known, content, done, reconcile, reconcile-ack),
 *    server pings, plus cosync's error notices (`{"error":{…}}` entries) and close codes
 *    (close-codes.ts: 1000, 1001, 1006, 1009, 4401, 4403, 4408, 4426, 4429, 4503).
 */
export const PROTOCOL_VERSION = 1;
