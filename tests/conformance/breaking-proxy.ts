// A WebSocket proxy that breaks one behaviour of the server behind it, to prove the conformance
// suite can fail: every entry the server sends passes through `keep`, and is dropped if it says no.
import { createServer } from "node:http";
import { WebSocket, WebSocketServer } from "ws";

export interface BreakingProxy extends AsyncDisposable {
  readonly url: string;
  close(): Promise<void>;
}

export async function startBreakingProxy(target: string, keep: (entry: Record<string, unknown>) => boolean): Promise<BreakingProxy> {
  const http = createServer((_request, response) => {
    response.writeHead(404);
    response.end();
  });
  const wss = new WebSocketServer({ server: http });
  wss.on("connection", (client) => {
    const upstream = new WebSocket(target);
    const pending: string[] = [];
    upstream.on("open", () => {
      for (const frame of pending.splice(0)) upstream.send(frame);
    });
    client.on("message", (data) => {
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data.toString());
      else pending.push(data.toString());
    });
    upstream.on("message", (data) => {
      const lines = data
        .toString()
        .split("\n")
        .filter((line) => keep(JSON.parse(line) as Record<string, unknown>));
      if (lines.length > 0) client.send(lines.join("\n"));
    });
    client.on("close", () => upstream.terminate());
    upstream.on("close", () => client.terminate());
    upstream.on("error", () => client.terminate());
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const address = http.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const close = async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => http.close(() => resolve()));
  };
  return { url: `ws://127.0.0.1:${port}`, close, [Symbol.asyncDispose]: close };
}
