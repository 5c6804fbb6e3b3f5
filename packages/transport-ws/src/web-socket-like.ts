/** The events of a WebSocket that cosync listens to, with the fields it reads. */
export interface WebSocketEventMapLike {
  open: unknown;
  message: { readonly data: unknown };
  close: { readonly code: number; readonly reason: string };
  error: unknown;
}

/**
 * The subset of the WebSocket interface that browsers' `WebSocket` and `ws`'s `WebSocket` share,
 * and all cosync's client side uses. Keeps transport-ws free of a runtime dependency on `ws`.
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Bytes queued by `send` and not yet handed to the network. */
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /** Stops / restarts reading from the network (`ws` has them; browsers' WebSocket does not). */
  pause?(): void;
  resume?(): void;
  addEventListener<K extends keyof WebSocketEventMapLike>(type: K, listener: (event: WebSocketEventMapLike[K]) => void): void;
  removeEventListener<K extends keyof WebSocketEventMapLike>(type: K, listener: (event: WebSocketEventMapLike[K]) => void): void;
}

/** A WebSocket constructor: `globalThis.WebSocket` in browsers, `ws`'s `WebSocket` in Node. */
export type WebSocketConstructorLike = new (url: string) => WebSocketLike;

/** A server-side socket (`ws`): `send` takes a callback called once the frame is written out. */
export interface ServerWebSocketLike extends WebSocketLike {
  send(data: string, callback?: (error?: Error) => void): void;
}

export const OPEN = 1;
