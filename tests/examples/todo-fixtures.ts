// Fixtures for the todo example's browser tests: the app built by Vite and served from a static
// server on port 0, a real cosync sync server on a SQLite file (stopped and started again on the
// same port and file), Debian's Chromium through playwright-core, and page helpers.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { startSyncServer } from "@cosync/server";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { expect } from "vitest";

export const exampleDir = fileURLToPath(new URL("../../examples/todo", import.meta.url));
/** Where the tests save their screenshots (gitignored; CI keeps it as an artefact). */
export const screenshotDir = join(exampleDir, "test-results");

/** Builds the app with Vite into a fresh directory. */
export async function buildApp(): Promise<{ readonly dir: string; readonly cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "cosync-todo-build-"));
  const vite = fileURLToPath(new URL("../../node_modules/vite/bin/vite.js", import.meta.url));
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, [vite, "build", "--outDir", dir, "--emptyOutDir", "--logLevel", "warn"], { cwd: exampleDir, timeout: 60_000, env: { ...process.env, NODE_ENV: "production" } }, (error, stdout, stderr) => {
      if (error === null) resolve();
      else reject(new Error(`vite build failed:\n${stdout}${stderr}`, { cause: error }));
    });
  });
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Sizes of the built assets, raw and gzipped, in bytes. */
export async function bundleSizes(dir: string): Promise<{ readonly files: { name: string; raw: number; gzip: number }[]; readonly gzip: number }> {
  const files = [];
  for (const name of await readdir(join(dir, "assets"))) {
    const bytes = await readFile(join(dir, "assets", name));
    files.push({ name, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
  }
  return { files, gzip: files.reduce((sum, file) => sum + file.gzip, 0) };
}

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
};

/** Serves the built app on 127.0.0.1, port 0. */
export async function serveStatic(dir: string): Promise<{ readonly url: string; readonly close: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    void (async () => {
      const path = normalize(decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
      let file = join(dir, path);
      if (!file.startsWith(dir) || !(await stat(file).catch(() => undefined))?.isFile()) file = join(dir, "index.html");
      response.writeHead(200, { "content-type": contentTypes[extname(file)] ?? "application/octet-stream" });
      response.end(await readFile(file));
    })().catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A sync server on a SQLite file that can be stopped and started again on the same port and file. */
export class RestartableSyncServer {
  #server: Awaited<ReturnType<typeof startSyncServer>> | undefined;
  #port = 0;
  private constructor(readonly dir: string) {}

  static async start(): Promise<RestartableSyncServer> {
    const server = new RestartableSyncServer(await mkdtemp(join(tmpdir(), "cosync-todo-sync-")));
    await server.resume();
    return server;
  }
  get url(): string {
    return `ws://127.0.0.1:${this.#port}`;
  }
  async resume(): Promise<void> {
    if (this.#server !== undefined) return;
    this.#server = await startSyncServer({ host: "127.0.0.1", port: this.#port, db: join(this.dir, "sync.db"), processMetrics: false, log: { level: "silent" } });
    this.#port = Number(new URL(this.#server.url).port);
  }
  async pause(): Promise<void> {
    await this.#server?.close();
    this.#server = undefined;
  }
  async close(): Promise<void> {
    await this.pause();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
  });
}

/** One person: their own browser context (own IndexedDB and localStorage), with the app open. */
export async function openPerson(browser: Browser, appUrl: string): Promise<{ readonly context: BrowserContext; readonly page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  // A missing element fails the test within the test's timeout, not after Playwright's 30 s.
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error(`[page error] ${error.message}`));
  await page.goto(appUrl);
  await page.getByLabel("New list").waitFor();
  await expect.poll(() => syncStatus(page), { timeout: 20_000 }).toBe("synced");
  return { context, page };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

export function syncStatus(page: Page): Promise<string | null> {
  return page.getByTestId("sync-status").getAttribute("data-status");
}

export async function createList(page: Page, title: string): Promise<void> {
  await page.getByLabel("New list").fill(title);
  await page.getByLabel("New list").press("Enter");
  await expect.poll(() => page.getByTestId("list-title").textContent()).toBe(title);
}

export async function addItem(page: Page, title: string): Promise<void> {
  await page.getByLabel("New item").fill(title);
  await page.getByLabel("New item").press("Enter");
  await page.locator(`[data-testid=item][data-title="${title}"]`).waitFor();
}

/** The items on screen, in order: "title" or "title ✓" when done. */
export function itemsOf(page: Page): Promise<string[]> {
  return page.$$eval("[data-testid=item]", (rows) => rows.map((row) => `${(row as HTMLElement).dataset.title}${(row as HTMLElement).dataset.done === "true" ? " ✓" : ""}`));
}

export async function createInvite(page: Page, role: "reader" | "writer"): Promise<string> {
  await page.getByLabel("Invite role").selectOption(role);
  await page.getByRole("button", { name: "Create invite link" }).click();
  return (await page.getByTestId("invite-link").inputValue()) as string;
}

/** Opens an invite link and waits for the list it names. */
export async function openInvite(page: Page, link: string, title: string): Promise<void> {
  await page.goto(link);
  await expect.poll(() => page.getByTestId("list-title").textContent(), { timeout: 20_000 }).toBe(title);
}
