import { test, expect, open, waitForHydration } from "../support/fixtures";
import { RunningServer } from "../support/server";
import { Release } from "../support/release";
import { becomeControlled, cacheNames } from "../support/worker";
import type { Page } from "@playwright/test";
import { readdirSync } from "node:fs";
import { join } from "node:path";

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

test("an update downloads only the changed file and removes the old version's precache", async ({ browser }) => {
  const release = Release.copy();
  const server = await RunningServer.start(release);
  const context = await browser.newContext({ baseURL: server.url });
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
    const fromLine = server.log.length;
    await server.restart();

    expect(await checkForUpdate(page)).toBe("installed");
    const downloaded = new Set(
      // Files only: the page's own API calls (who is signed in, view reports) go on meanwhile.
      server.requestsSince(fromLine).filter((path) => !path.startsWith("/api/")),
    );
    expect([...downloaded].sort()).toEqual(["/pkg/mozi.css", "/sw.js"]);

    // Activate it, as the update prompt does; the page reloads into it.
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

    // A broken update (a file that no longer matches its manifest hash)
    // fails to install and leaves the current version in charge.
    await server.stop();
    release.addCss(".second-update { color: blue; }");
    await server.restart();
    // Changed again while the server runs: its manifest no longer matches.
    release.addCss(".changed-after-start { color: green; }");
    expect(await checkForUpdate(page)).toBe("redundant");
    expect(await precaches(page)).toEqual([newPrecache]);
    await open(page, "/");
    await expect(page.getByRole("heading", { name: /Day 1 keynote/ })).toBeVisible();
  } finally {
    await context.close();
    await server.dispose();
    release.dispose();
  }
});
