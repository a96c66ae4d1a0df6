import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test, expect, open, waitForHydration } from "../support/fixtures";
import { RunningServer } from "../support/server";
import { Release } from "../support/release";
import { becomeControlled, cacheNames, stopAllWorkers } from "../support/worker";
import { FaultyProxy } from "../support/faulty-proxy.cjs";
import type { Page } from "@playwright/test";

/** The budget of `/sw.js` as sent, brotli (bench/sizes.mjs checks the others). */
const WORKER_SCRIPT_BUDGET: number = JSON.parse(
  readFileSync(join(__dirname, "../../bench/budgets.json"), "utf8"),
)["/sw.js"];

/** A proxy in front of `server`, through which the browser sees the app. */
const proxyFor = (server: RunningServer) =>
  FaultyProxy.start({ port: Number(new URL(server.url).port) }, Math.random);

const precaches = async (page: Page) =>
  (await cacheNames(page)).filter((name) => name.startsWith("mozi-precache-"));

/** Asks the browser to check for a new worker; resolves with the new worker's final state. */
const checkForUpdate = (page: Page) =>
  page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    if (!registration) throw new Error("no registration");
    await registration.update();
    const worker = registration.installing ?? registration.waiting;
    if (!worker) return "none";
    if (worker.state === "installed") return "installed";
    return new Promise<string>((resolve) => {
      worker.addEventListener("statechange", () => {
        if (worker.state === "installed" || worker.state === "redundant") resolve(worker.state);
      });
    });
  });

/** Activates the waiting worker, as the update prompt does; the page reloads into it. */
async function activateUpdate(page: Page) {
  const reloaded = page.waitForEvent("load");
  await page
    .evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      registration?.waiting?.postMessage({ type: "SKIP_WAITING" });
    })
    // The reload it causes may end this very evaluation; that is the point.
    .catch((error: Error) => {
      if (!error.message.includes("Execution context was destroyed")) throw error;
    });
  await reloaded;
  await waitForHydration(page);
}

test("an update downloads only the changed file and a small /sw.js, and removes the old version's precache", async ({ browser }) => {
  const release = Release.copy();
  const server = await RunningServer.start(release);
  const proxy = await proxyFor(server);
  const context = await browser.newContext({ baseURL: proxy.url });
  try {
    const page = await context.newPage();
    await open(page, "/");
    await becomeControlled(page);
    await open(page, "/my-schedule");
    // The visited pages, their data and other files: these must survive.
    const runtimeCaches = (await cacheNames(page)).filter((name) => !name.startsWith("mozi-precache-"));
    expect(runtimeCaches).toContain("mozi-pages");
    const [oldPrecache] = await precaches(page);
    expect(oldPrecache).toBeTruthy();

    // "Rebuild" with one changed precached file, and restart.
    await server.stop();
    release.addCss(".update-marker { color: red; }");
    const fromDownload = proxy.downloads.length;
    await server.restart();

    expect(await checkForUpdate(page)).toBe("installed");
    // Files only: the page's own API calls (who is signed in, view reports) go on meanwhile.
    const downloaded = proxy.downloads.slice(fromDownload).filter(({ path }) => !path.startsWith("/api/"));
    expect(downloaded.map(({ path }) => path).sort()).toEqual(["/pkg/mozi.css", "/sw.js"]);
    const bytes = (path: string) => downloaded.find((download) => download.path === path)!.bytes;
    // The script is the bootstrap, the glue and the manifest: the worker's wasm is not in it.
    expect(bytes("/sw.js")).toBeLessThanOrEqual(WORKER_SCRIPT_BUDGET);
    // The stylesheet came compressed, once.
    expect(bytes("/pkg/mozi.css")).toBeLessThan(statSync(join(release.site, "pkg/mozi.css")).size);

    await activateUpdate(page);
    await expect.poll(() => precaches(page)).toHaveLength(1);
    const [newPrecache] = await precaches(page);
    expect(newPrecache).not.toBe(oldPrecache);
    expect((await cacheNames(page)).sort()).toEqual([...runtimeCaches, newPrecache].sort());
    const css = await page.evaluate(async (name) => {
      const response = await (await caches.open(name)).match("/pkg/mozi.css");
      return response ? response.text() : "";
    }, newPrecache);
    expect(css).toContain("update-marker");

    // Every page's code (its chunks of the split wasm) is in the new
    // version's precache: offline, a page this version never showed opens.
    const wasmFiles = readdirSync(join(release.site, "pkg"))
      .filter((name) => name.endsWith(".wasm"))
      .map((name) => `/pkg/${name}`);
    expect(wasmFiles.length).toBeGreaterThan(1);
    await context.setOffline(true);
    const unavailable = await page.evaluate(async (paths) => {
      const failed: string[] = [];
      for (const path of paths) {
        const response = await fetch(path).catch(() => null);
        if (!response?.ok) failed.push(path);
      }
      return failed;
    }, wasmFiles);
    expect(unavailable).toEqual([]);
    await open(page, "/");
    await page.getByRole("link", { name: "Create account" }).click();
    await expect(page.getByRole("heading", { name: "Create account" })).toBeVisible();
    await context.setOffline(false);

    // A broken update (a file that no longer matches its manifest hash, as
    // when a cache on the way keeps an old copy) fails to install and
    // leaves the current version in charge.
    await server.stop();
    release.addCss(".second-update { color: blue; }");
    await server.restart();
    proxy.rewrites.set("/pkg/mozi.css", (body: Buffer) =>
      Buffer.concat([body, Buffer.from("\n.changed-on-the-way { color: green; }\n")]),
    );
    expect(await checkForUpdate(page)).toBe("redundant");
    expect(await precaches(page)).toEqual([newPrecache]);
    await open(page, "/");
    await expect(page.getByRole("heading", { name: /Day 1 keynote/ })).toBeVisible();
  } finally {
    await context.close();
    await proxy.close();
    await server.dispose();
    release.dispose();
  }
});

/**
 * The worker script as the versions before the wasm became a file of its
 * own served it: the wasm inlined as base64, its old bootstrap, and a
 * manifest without the wasm.
 */
function inlinedWorker(script: string, wasm: Buffer): string {
  const [, configLine] = script.split("\n", 2);
  const config = JSON.parse(configLine.slice("self.__MOZI = ".length, -1));
  // Both modules' glue, which follows the bootstrap to the end of the script.
  const glueStart = script.indexOf("\nlet wasm_bindgen = ");
  if (glueStart < 0) throw new Error("no wasm-bindgen glue in /sw.js");
  const glue = script.slice(glueStart + 1);
  const previous = {
    version: "inlined0000000000",
    dev: false,
    precache: config.precache
      .split("\n")
      .filter((line: string) => !line.startsWith(`${config.wasm} `))
      .join("\n"),
  };
  const oldBootstrap = readFileSync(join(__dirname, "../support/inlined-worker-bootstrap.js"), "utf8");
  return [
    `// MOZI service worker ${previous.version}`,
    `self.__MOZI = ${JSON.stringify(previous)};`,
    glue,
    `self.__MOZI_WASM = "${wasm.toString("base64")}";`,
    oldBootstrap,
  ].join("\n");
}

test("the worker that inlined its wasm updates to this one, which then starts offline from its cache", async ({ browser }) => {
  const server = await RunningServer.start();
  const proxy = await proxyFor(server);
  const script = await (await fetch(`${server.url}/sw.js`)).text();
  const wasmUrl = JSON.parse(script.split("\n")[1].slice("self.__MOZI = ".length, -1)).wasm as string;
  const wasm = Buffer.from(await (await fetch(`${server.url}${wasmUrl}`)).arrayBuffer());
  proxy.rewrites.set("/sw.js", (current: Buffer) => Buffer.from(inlinedWorker(current.toString(), wasm)));
  const context = await browser.newContext({ baseURL: proxy.url });
  try {
    const page = await context.newPage();
    await open(page, "/");
    await becomeControlled(page);
    const [oldPrecache] = await precaches(page);
    expect(oldPrecache).toBe("mozi-precache-inlined0000000000");

    // This version is published.
    proxy.rewrites.delete("/sw.js");
    const fromDownload = proxy.downloads.length;
    expect(await checkForUpdate(page)).toBe("installed");
    // Its wasm is downloaded once: fetched to start the worker, then
    // precached from the HTTP cache.
    const wasmDownloads = proxy.downloads.slice(fromDownload).filter(({ path }) => path === wasmUrl);
    expect(wasmDownloads).toHaveLength(1);
    await activateUpdate(page);
    await expect.poll(() => precaches(page)).toHaveLength(1);
    const [newPrecache] = await precaches(page);
    expect(newPrecache).not.toBe(oldPrecache);
    const wasmStored = await page.evaluate(
      async ([name, url]) => (await (await caches.open(name)).match(url)) !== undefined,
      [newPrecache, wasmUrl],
    );
    expect(wasmStored).toBe(true);

    // Offline, with the worker stopped: it starts from its cache alone.
    await context.setOffline(true);
    await stopAllWorkers(context, page);
    await page.reload();
    await waitForHydration(page);
    await expect(page.getByRole("heading", { name: /Day 1 keynote/ })).toBeVisible();
    const controller = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? "");
    expect(new URL(controller).pathname).toBe("/sw.js");
  } finally {
    await context.close();
    await proxy.close();
    await server.dispose();
  }
});
