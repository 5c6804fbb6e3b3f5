/**
 * WebSocket close codes cosync sends or reports, named (STYLE §5.6) and versioned with the
 * protocol (docs/protocol.md#close-codes). 1000–1015 are RFC 6455's; 4000–4999 are ours, chosen as
 * 4000 + the closest HTTP status. cojson clients treat every close alike (they reconnect).
 */
export const CloseCode = {
  /** Normal closure: the channel was closed on purpose by either side. */
  Normal: 1000,
  /** The endpoint is going away (page unload, process exit). */
  GoingAway: 1001,
  /** No close frame arrived (connection lost). Reported locally, never sent. */
  Abnormal: 1006,
  /** A frame exceeded the receiver's maximum frame size. */
  MessageTooBig: 1009,
  /** Authentication failed or was missing. */
  Unauthorized: 4401,
  /** Authenticated, but not allowed to sync here. */
  Forbidden: 4403,
  /** Nothing (not even a ping) arrived within the liveness timeout. */
  PingTimeout: 4408,
  /** The peer reads so slowly that what waits to be sent to it exceeded the endpoint's budget. */
  SlowConsumer: 4413,
  /** The peer speaks a protocol version this endpoint does not support. */
  ProtocolVersionUnsupported: 4426,
  /** The peer exceeded its message or byte budget. */
  RateLimited: 4429,
  /** The server is shutting down and asks clients to reconnect elsewhere or later. */
  ServerDraining: 4503,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
