// The todo example (examples/todo) end to end: its Vite build served statically, a real cosync
// server on a SQLite file, and independent browser contexts in Debian's Chromium (each its own
// IndexedDB and identity), driven with playwright-core. Screenshots of each state go to
// examples/todo/test-results/.
import { createAccountNode } from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { createReconnectingConnection } from "@cosync/transport-ws";
import { co as jazzCo, z as jazzZ } from "jazz-tools";
import { startWorker } from "jazz-tools/worker";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { WebSocket } from "ws";
import {
  addItem,
  buildApp,
  bundleSizes,
  createInvite,
  createList,
  itemsOf,
  launchChromium,
  openInvite,
  openPerson,
  RestartableSyncServer,
  screenshot,
  serveStatic,
  syncStatus,
} from "./todo-fixtures.js";

let browser: Browser;
let sync: RestartableSyncServer;
let appUrl: string;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const build = await buildApp();
  stops.push(build.cleanup);
  const sizes = await bundleSizes(build.dir);
  const listing = sizes.files.map((file) => `${file.name} ${(file.raw / 1024).toFixed(1)} kB (${(file.gzip / 1024).toFixed(1)} kB gzipped)`).join(", ");
  console.log(`[todo] bundle: ${(sizes.gzip / 1024).toFixed(1)} kB gzipped in all — ${listing}`);
  const site = await serveStatic(build.dir);
  stops.push(site.close);
  sync = await RestartableSyncServer.start();
  stops.push(() => sync.close());
  appUrl = `${site.url}?sync=${encodeURIComponent(sync.url)}`;
  browser = await launchChromium();
  stops.push(() => browser.close());
}, 120_000);

// A test that failed while the server was stopped must not leave the next one offline.
afterEach(async () => {
  await sync.resume();
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
});

async function person() {
  const opened = await openPerson(browser, appUrl);
  stops.push(() => opened.context.close());
  return opened.page;
}

/** Ticks or unticks `title` in `from` and resolves with the milliseconds until `to` rendered it. */
async function clickToRender(from: Page, to: Page, title: string): Promise<number> {
  const row = `[data-testid=item][data-title="${title}"]`;
  const expected = (await from.locator(row).getAttribute("data-done")) === "true" ? "false" : "true";
  await to.evaluate(
    ({ row, expected }) => {
      const target = window as unknown as { seen?: Promise<number> };
      target.seen = new Promise((resolve) => {
        const observer = new MutationObserver(() => {
          if (document.querySelector(row)?.getAttribute("data-done") !== expected) return;
          observer.disconnect();
          resolve(performance.timeOrigin + performance.now());
        });
        observer.observe(document.body, { attributes: true, subtree: true, childList: true });
      });
    },
    { row, expected },
  );
  const clickedAt = await from.evaluate((row) => {
    const box = document.querySelector(`${row} input[type=checkbox]`) as HTMLInputElement;
    const at = performance.timeOrigin + performance.now();
    box.click();
    return at;
  }, row);
  const seenAt = await to.evaluate(() => (window as unknown as { seen: Promise<number> }).seen);
  return seenAt - clickedAt;
}

test("todo app: an item added, ticked, edited, moved and deleted in one context appears in the other; click-to-render timed", async () => {
  const alice = await person();
  await screenshot(alice, "01-empty");
  await createList(alice, "Groceries");
  await expect.poll(() => alice.getByTestId("no-items").isVisible()).toBe(true);
  await addItem(alice, "milk");
  await addItem(alice, "bread");
  const link = await createInvite(alice, "writer");

  const bob = await person();
  await openInvite(bob, link, "Groceries");
  expect(await bob.getByTestId("list").getAttribute("data-role")).toBe("writer");
  await expect.poll(() => itemsOf(bob)).toEqual(["milk", "bread"]);

  await addItem(alice, "eggs");
  await expect.poll(() => itemsOf(bob)).toEqual(["milk", "bread", "eggs"]);
  await bob.getByLabel("Done: milk").click();
  await expect.poll(() => itemsOf(alice)).toEqual(["milk ✓", "bread", "eggs"]);

  await alice.getByRole("button", { name: "bread", exact: true }).click();
  await alice.getByLabel("Item title").fill("rye bread");
  await alice.getByLabel("Item title").press("Enter");
  await expect.poll(() => itemsOf(bob)).toEqual(["milk ✓", "rye bread", "eggs"]);

  await bob.getByLabel("Move up: eggs").click();
  await expect.poll(() => itemsOf(alice)).toEqual(["milk ✓", "eggs", "rye bread"]);
  // Keyboard: Alt+↓ on a focused row moves it down.
  await alice.getByLabel("Done: milk").focus();
  await alice.keyboard.press("Alt+ArrowDown");
  await expect.poll(() => itemsOf(bob)).toEqual(["eggs", "milk ✓", "rye bread"]);
  await alice.getByLabel("Delete: rye bread").click();
  await expect.poll(() => itemsOf(bob)).toEqual(["eggs", "milk ✓"]);
  await expect.poll(() => syncStatus(alice)).toBe("synced");
  await screenshot(alice, "02-shared-list-alice");
  await screenshot(bob, "02-shared-list-bob");

  const times: number[] = [];
  for (let click = 0; click < 21; click++) times.push(await clickToRender(click % 2 === 0 ? alice : bob, click % 2 === 0 ? bob : alice, "eggs"));
  const sorted = [...times].sort((a, b) => a - b);
  const p50 = sorted[Math.floor(sorted.length / 2)] as number;
  console.log(`[todo] click-to-render across contexts over ${times.length} clicks: p50 ${p50.toFixed(1)} ms, min ${sorted[0]?.toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms`);
  expect(p50).toBeLessThan(1_000);
});

test("todo app: a reader invited by link cannot edit and the UI says so; a removed member stops seeing new items", async () => {
  const alice = await person();
  await createList(alice, "Trip");
  await addItem(alice, "tickets");
  const readerLink = await createInvite(alice, "reader");
  const writerLink = await createInvite(alice, "writer");

  const carol = await person();
  await openInvite(carol, readerLink, "Trip");
  expect(await carol.getByTestId("list").getAttribute("data-role")).toBe("reader");
  expect(await carol.getByTestId("role-notice").textContent()).toMatch(/can read this list, not edit it/);
  expect(await carol.getByLabel("New item").count()).toBe(0);
  expect(await carol.getByLabel("Done: tickets").isDisabled()).toBe(true);
  expect(await carol.getByRole("button", { name: "Create invite link" }).count()).toBe(0);
  await screenshot(carol, "03-reader");

  const dave = await person();
  await openInvite(dave, writerLink, "Trip");
  await addItem(dave, "passport");
  await expect.poll(() => itemsOf(alice)).toEqual(["tickets", "passport"]);
  await expect.poll(() => itemsOf(carol)).toEqual(["tickets", "passport"]);
  await expect.poll(() => alice.getByTestId("member").count()).toBe(3);

  const daveName = await dave.getByTestId("account-name").textContent();
  await alice.getByTestId("member").filter({ hasText: daveName as string }).getByRole("button", { name: "Remove" }).click();
  await expect.poll(() => alice.getByTestId("member").count()).toBe(2);
  // Dave's device hears of the removal (groups are not encrypted): the list is no longer his to read.
  await dave.getByTestId("no-access").waitFor({ timeout: 20_000 });
  expect(await dave.getByLabel("New item").count()).toBe(0);

  await addItem(alice, "sunscreen");
  await expect.poll(() => syncStatus(alice)).toBe("synced");
  await expect.poll(() => itemsOf(carol)).toEqual(["tickets", "passport", "sunscreen"]);
  // Carol (still a member) has the new item; Dave, removed before it was written, does not.
  expect(await dave.getByTestId("no-access").isVisible()).toBe(true);
  expect(await itemsOf(dave)).toEqual([]);
  await screenshot(dave, "04-removed-member");
});

test("todo app offline: server stopped → edits in both contexts → reload (data kept, unsynced shown) → server back on the same port and file → both converge", async () => {
  const alice = await person();
  await createList(alice, "House");
  await addItem(alice, "paint");
  const bob = await person();
  await openInvite(bob, await createInvite(alice, "writer"), "House");
  await expect.poll(() => itemsOf(bob)).toEqual(["paint"]);

  await sync.pause();
  await expect.poll(() => syncStatus(alice), { timeout: 20_000 }).toBe("offline");
  await expect.poll(() => syncStatus(bob), { timeout: 20_000 }).toBe("offline");
  await addItem(alice, "fix the door");
  await alice.getByLabel("Done: paint").click();
  await addItem(bob, "water plants");
  const unsyncedOffline = /^Offline · \d+ unsynced changes?$/;
  await expect.poll(() => alice.getByTestId("sync-status").textContent(), { timeout: 10_000 }).toMatch(unsyncedOffline);
  await expect.poll(() => bob.getByTestId("sync-status").textContent(), { timeout: 10_000 }).toMatch(unsyncedOffline);
  await screenshot(alice, "05-offline-edits");

  for (const page of [alice, bob]) {
    await page.reload();
    await page.getByTestId("list").waitFor();
  }
  await expect.poll(() => itemsOf(alice), { timeout: 10_000 }).toEqual(["paint ✓", "fix the door"]);
  await expect.poll(() => itemsOf(bob), { timeout: 10_000 }).toEqual(["paint", "water plants"]);
  for (const page of [alice, bob]) {
    expect(await syncStatus(page)).toBe("offline");
    await expect.poll(() => page.getByTestId("sync-status").textContent(), { timeout: 10_000 }).toMatch(unsyncedOffline);
  }
  await screenshot(bob, "06-offline-after-reload");

  await sync.resume();
  const converged = ["paint ✓", "fix the door", "water plants"];
  await expect.poll(() => itemsOf(alice), { timeout: 30_000 }).toEqual(expect.arrayContaining(converged));
  await expect.poll(() => itemsOf(bob), { timeout: 30_000 }).toEqual(await itemsOf(alice));
  expect((await itemsOf(alice)).length).toBe(3);
  await expect.poll(() => syncStatus(alice), { timeout: 30_000 }).toBe("synced");
  await expect.poll(() => syncStatus(bob), { timeout: 30_000 }).toBe("synced");
  await screenshot(alice, "07-converged");
});

// The app's schema (examples/todo/src/schema.ts) as jazz-tools writes it.
const JazzTodoItem = jazzCo.map({ title: jazzZ.string(), done: jazzZ.boolean() });
const JazzTodoList = jazzCo.map({ title: jazzZ.string(), items: jazzCo.list(JazzTodoItem) });

test("todo app and Jazz: a jazz-tools 0.20 worker accepts the browser's invite link and reads the list through the same server", async () => {
  const alice = await person();
  await createList(alice, "Shared with Jazz");
  await addItem(alice, "first");
  await addItem(alice, "second");
  await alice.getByLabel("Done: first").click();
  const link = await createInvite(alice, "reader");
  const [, listId, , secret] = /#\/invite\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(link) ?? [];
  if (listId === undefined || secret === undefined) throw new Error(`not an invite link: ${link}`);

  // The worker's account is created by cosync (so it is on the server), then opened by Jazz.
  const identity = createAccountNode({ crypto: await loadNodeCryptoProvider(), name: "Jazz worker" });
  const connection = createReconnectingConnection({ url: sync.url, WebSocket, onChannel: (channel) => identity.syncManager.addPeer(channel) });
  await identity.syncManager.waitForAllSynced({ timeoutMs: 10_000 });
  await connection.stop();
  await identity.close();
  const { worker, shutdownWorker } = await startWorker({
    syncServer: sync.url,
    accountID: identity.accountId as string,
    accountSecret: identity.agentSecret,
    WebSocket: WebSocket as never,
    skipInboxLoad: true,
    asActiveAccount: false,
  });
  stops.push(() => shutdownWorker());

  await worker.acceptInvite(listId, secret as never, JazzTodoList);
  const list = await JazzTodoList.load(listId, { loadAs: worker, resolve: { items: { $each: true } } });
  if (!list.$isLoaded) throw new Error(`Jazz could not load the list: ${list.$jazz.loadingState}`);
  expect(list.title).toBe("Shared with Jazz");
  expect(list.items.map((item) => `${item.title}|${item.done}`)).toEqual(["first|true", "second|false"]);
  await alice.getByTestId("members").getByText("Jazz worker").waitFor();
  await screenshot(alice, "08-shared-with-jazz");
});
