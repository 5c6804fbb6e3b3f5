// The todo app's entry: one cosync node per browser profile (IndexedDB storage, the identity in
// localStorage, a WebSocket to the sync server that reconnects on its own).
import { type BrowserNodeOptions, CosyncProvider } from "@cosync/react";
import { createRoot } from "react-dom/client";
import { App } from "./app.js";
import { ErrorBanner } from "./errors.js";
import { TodoAccount } from "./schema.js";

/** `?sync=ws://…` in the page's URL, else the build's VITE_COSYNC_SERVER, else port 4200 of this host. */
function syncServerUrl(): string {
  const fromQuery = new URLSearchParams(window.location.search).get("sync");
  if (fromQuery !== null && /^wss?:\/\//.test(fromQuery)) return fromQuery;
  const fromBuild = import.meta.env.VITE_COSYNC_SERVER as string | undefined;
  if (fromBuild !== undefined && fromBuild !== "") return fromBuild;
  return `${window.location.protocol === "https:" ? "wss" : "ws"}://${window.location.hostname || "127.0.0.1"}:4200`;
}

// Module-level, so the provider (which opens the node once per options object) opens it once.
const sync: BrowserNodeOptions = {
  peer: syncServerUrl(),
  account: TodoAccount,
  name: `Guest ${1000 + Math.floor(Math.random() * 9000)}`,
  storageName: "cosync-todo",
};

const container = document.getElementById("root");
if (container === null) throw new Error("index.html has no #root");
const root = createRoot(container);

function showFailure(error: Error): void {
  root.render(
    <main className="splash" role="alert">
      <h1>Todos could not open</h1>
      <p>{error.message}</p>
    </main>,
  );
}

// No StrictMode: its double effects would open two nodes at once, and on a first visit both
// would create an account.
root.render(
  <CosyncProvider sync={sync} onError={showFailure} fallback={<main className="splash">Opening your todos…</main>}>
    <ErrorBanner>
      <App />
    </ErrorBanner>
  </CosyncProvider>,
);
