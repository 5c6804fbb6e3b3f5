/** `@cosync/transport-ws`: cojson-compatible WebSocket channels (server side, browser/Node client, reconnect). */
export * from "./connect-websocket.js";
export * from "./frame.js";
export * from "./reconnecting-connection.js";
export * from "./receipts-client.js";
export {
  BUFFER_LIMIT_BYTES,
  type ChannelStats,
  type FrameError,
  type ReceivedPing,
  serializedLengthOf,
  type WebSocketChannel,
} from "./socket-channel.js";
export type * from "./web-socket-like.js";
export * from "./websocket-channel.js";
