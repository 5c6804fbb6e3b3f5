// The layout: a header (sync indicator, account), the user's lists on the side, the open list.
import type { ReactNode } from "react";
import { AcceptInvite } from "./accept-invite.js";
import { AccountMenu } from "./account-menu.js";
import { ListView } from "./list-view.js";
import { ListsSidebar } from "./lists-sidebar.js";
import { useRoute } from "./route.js";
import { SyncIndicator } from "./sync-indicator.js";

export function App(): ReactNode {
  const route = useRoute();
  const selected = route.page === "list" ? route.listId : undefined;
  return (
    <div className="app">
      <header className="topbar">
        <h1>Todos</h1>
        <SyncIndicator />
        <AccountMenu />
      </header>
      <div className="layout">
        <ListsSidebar selected={selected} />
        <main className="content">
          {route.page === "list" && <ListView key={route.listId} listId={route.listId} />}
          {route.page === "invite" && <AcceptInvite key={route.invite.secret} invite={route.invite} />}
          {route.page === "home" && (
            <section className="empty" data-testid="home">
              <h2>Pick a list, or start a new one</h2>
              <p>Your lists live on this device and sync when a server is reachable. Share one with an invite link.</p>
            </section>
          )}
        </main>
      </div>
    </div>
  );
}
